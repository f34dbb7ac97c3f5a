"""The node launch templates, and their launch data in the EC2 API's shape."""

from __future__ import annotations

from typing import Any

from components.shared.tags import PROJECT_TAG
from tests.drift.stack.aws import Aws, ec2_tags
from tests.drift.stack.state import (
    ACCOUNT,
    CLUSTER,
    LAUNCH_TEMPLATE,
    REGION,
    USER_DATA,
    Deployed,
    Recorder,
    default_tags,
    secret,
)


def launch_template_data(
    user_data: str = USER_DATA, http_tokens: str = "required", key_arn: str = ""
) -> dict[str, Any]:
    """The launch data of the node launch templates, in the EC2 API's shape."""
    return {
        "MetadataOptions": {
            "HttpEndpoint": "enabled",
            "HttpTokens": http_tokens,
            "HttpPutResponseHopLimit": 1,
            "InstanceMetadataTags": "disabled",
        },
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "VolumeSize": 50,
                    "VolumeType": "gp3",
                    "Encrypted": True,
                    "KmsKeyId": key_arn,
                    "DeleteOnTermination": True,
                },
            }
        ],
        "UserData": user_data,
        "TagSpecifications": [
            {
                "ResourceType": "instance",
                "Tags": [{"Key": "featurestore.io/project", "Value": "search"}],
            }
        ],
    }


def create_launch_templates(
    aws: Aws, d: Deployed, add: Recorder, *, scale: int, stack: str
) -> None:
    for index in range(scale):
        name = f"{CLUSTER}-search-{index}-5a6b7c8"
        template_id = aws.ec2.create_launch_template(
            LaunchTemplateName=name,
            VersionDescription="Nodes of pool search",
            LaunchTemplateData=launch_template_data(key_arn=d.key_arn),
            TagSpecifications=ec2_tags({**default_tags(stack), "Name": name}, "launch-template"),
        )["LaunchTemplate"]["LaunchTemplateId"]
        d.launch_template_ids.append(template_id)
        add(
            LAUNCH_TEMPLATE,
            f"{CLUSTER}-search-{index}",
            template_id,
            inputs={
                "name": name,
                "description": "Nodes of pool search",
                "updateDefaultVersion": True,
                "metadataOptions": {
                    "httpEndpoint": "enabled",
                    "httpTokens": "required",
                    "httpPutResponseHopLimit": 1,
                    "instanceMetadataTags": "disabled",
                },
                "blockDeviceMappings": [
                    {
                        "deviceName": "/dev/xvda",
                        "ebs": {
                            "volumeSize": 50,
                            "volumeType": "gp3",
                            "encrypted": "true",
                            "kmsKeyId": d.key_arn,
                            "deleteOnTermination": "true",
                        },
                    }
                ],
                "userData": secret(USER_DATA),
                "tagSpecifications": [
                    {"resourceType": "instance", "tags": {PROJECT_TAG: "search"}}
                ],
                "tags": {"Name": name},
            },
            outputs={
                "defaultVersion": 1,
                "latestVersion": 1,
                "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/{template_id}",
            },
        )
