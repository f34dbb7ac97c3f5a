"""The cluster's KMS key, with rotation and an alias."""

from __future__ import annotations

import json

from tests.drift.stack.aws import Aws
from tests.drift.stack.state import ACCOUNT, ALIAS, CLUSTER, KEY, Deployed, Recorder, default_tags


def create_key(aws: Aws, d: Deployed, add: Recorder, *, stack: str) -> None:
    key_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    metadata = aws.kms.create_key(
        Description=f"Secrets and volumes of feature-store cluster {CLUSTER}",
        KeyUsage="ENCRYPT_DECRYPT",
        KeySpec="SYMMETRIC_DEFAULT",
        Policy=key_policy,
        Tags=[{"TagKey": k, "TagValue": v} for k, v in default_tags(stack).items()],
    )["KeyMetadata"]
    d.key_id, d.key_arn = metadata["KeyId"], metadata["Arn"]
    aws.kms.enable_key_rotation(KeyId=d.key_id, RotationPeriodInDays=365)
    add(
        KEY,
        f"{CLUSTER}-key",
        d.key_id,
        inputs={
            "description": f"Secrets and volumes of feature-store cluster {CLUSTER}",
            "keyUsage": "ENCRYPT_DECRYPT",
            "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
            "enableKeyRotation": True,
            "rotationPeriodInDays": 365,
            "deletionWindowInDays": 30,
            # The provider stores the policy as the program rendered it: other spacing.
            "policy": json.dumps(json.loads(key_policy), indent=1),
            "tags": {},
        },
        outputs={"arn": d.key_arn, "keyId": d.key_id, "isEnabled": True},
    )
    d.alias = f"alias/fs-{stack}-{CLUSTER}"
    aws.kms.create_alias(AliasName=d.alias, TargetKeyId=d.key_id)
    add(
        ALIAS,
        f"{CLUSTER}-key",
        d.alias,
        inputs={"name": d.alias, "targetKeyId": d.key_id},
        tagged=False,
    )
