"""Live reads of launch templates and their default versions.

Templates are found by name (EC2 has no filter by template id, and an unknown id in
`LaunchTemplateIds` fails the whole call) and by the stack tag, with one paginated call each.
The launch data of the default versions of every template in the region comes from one
paginated `DescribeLaunchTemplateVersions` with `Versions=["$Default"]` and no template named,
the API's batch form. A new version made default out of band changes `defaultVersion` and
`latestVersion`; the data of the default version is compared with the state's inputs
(`metadataOptions.httpTokens`, `blockDeviceMappings[0].ebs.encrypted`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.shared.tags import STACK_TAG
from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    camel,
    chunks,
    owned_elsewhere,
    paginate,
    tag_map,
    user_tags,
)
from fsctl.plan.types import LAUNCH_TEMPLATE as LAUNCH_TEMPLATE_TYPE

PAGE_SIZE = 200
"""The most `DescribeLaunchTemplates` returns per page."""

SPECS = {
    LAUNCH_TEMPLATE_TYPE: TypeSpec(
        LAUNCH_TEMPLATE_TYPE,
        (
            Prop("name"),
            Prop("description"),
            Prop("defaultVersion", sources=("outputs.defaultVersion",)),
            Prop("latestVersion", sources=("outputs.latestVersion",)),
            Prop("imageId"),
            Prop("instanceType"),
            Prop("keyName"),
            Prop("userData"),
            Prop("ebsOptimized"),
            Prop("vpcSecurityGroupIds", mode="set"),
            Prop("metadataOptions", mode="leaves"),
            Prop("blockDeviceMappings", mode="leaves"),
            Prop("tagSpecifications", mode="leaves"),
            Prop("iamInstanceProfile", mode="leaves"),
            Prop("monitoring", mode="leaves"),
            Prop("networkInterfaces", mode="leaves"),
            TAGS,
        ),
    )
}


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the launch templates of a scope."""
    result = LiveRead(covered=set(SPECS))
    in_state = scope.of_type(LAUNCH_TEMPLATE_TYPE)
    names = sorted(
        {
            str(resource.outputs.get("name") or resource.inputs.get("name"))
            for resource in in_state
            if resource.outputs.get("name") or resource.inputs.get("name")
        }
    )
    queries = [[{"Name": "launch-template-name", "Values": chunk}] for chunk in chunks(names)]
    queries.append([{"Name": f"tag:{STACK_TAG}", "Values": [scope.stack]}])
    templates: dict[str, Mapping[str, Any]] = {}
    for filters in queries:
        for template in paginate(
            client,
            "describe_launch_templates",
            "LaunchTemplates",
            Filters=filters,
            PaginationConfig={"PageSize": PAGE_SIZE},
        ):
            templates[str(template["LaunchTemplateId"])] = template

    wanted = {resource.id for resource in in_state} & set(templates)
    versions: dict[str, Mapping[str, Any]] = {}
    if wanted:
        for version in paginate(
            client,
            "describe_launch_template_versions",
            "LaunchTemplateVersions",
            Versions=["$Default"],
            PaginationConfig={"PageSize": PAGE_SIZE},
        ):
            if version.get("LaunchTemplateId") in wanted:
                versions[str(version["LaunchTemplateId"])] = version

    for resource in in_state:
        template = templates.get(resource.id)
        if template is None:
            continue
        version = versions.get(resource.id, {})
        live = launch_data(version.get("LaunchTemplateData") or {})
        live.update(
            {
                "name": template.get("LaunchTemplateName"),
                "description": version.get("VersionDescription"),
                "defaultVersion": template.get("DefaultVersionNumber"),
                "latestVersion": template.get("LatestVersionNumber"),
                "tags": user_tags(tag_map(template.get("Tags"))),
            }
        )
        result.found[resource.urn] = live

    known = set(scope.ids(LAUNCH_TEMPLATE_TYPE))
    for template_id, template in sorted(templates.items()):
        tags = tag_map(template.get("Tags"))
        if template_id in known or owned_elsewhere(tags) or tags.get(STACK_TAG) != scope.stack:
            continue
        result.unmanaged.append(Unmanaged(LAUNCH_TEMPLATE_TYPE, template_id, scope.tag_reason()))
    return result


def launch_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """`LaunchTemplateData` in the provider's shape (camelCase, tags as maps)."""
    shaped: dict[str, Any] = camel(dict(data))
    if "securityGroupIds" in shaped:
        shaped["vpcSecurityGroupIds"] = shaped.pop("securityGroupIds")
    shaped["tagSpecifications"] = [
        {
            "resourceType": specification.get("resourceType"),
            "tags": tag_map(specification.get("tags"), key="key", value="value"),
        }
        for specification in shaped.get("tagSpecifications") or ()
    ]
    return shaped
