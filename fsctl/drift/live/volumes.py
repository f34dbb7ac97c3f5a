"""EBS volumes the clusters' EBS CSI driver made for RonDB's claims: known, or retained.

No state holds them: the driver creates a volume for each claim of the data class, which tags
it with the stack, the cluster and the project whose namespace claimed it
(`components/storage/classes.py`), and keeps it when the claim goes (`Retain`). A volume of a
project the state still has (its backup bucket, tagged with the project) is that project's and
not reported; one of a project the state no longer has is what its decommission retained,
reported as such and never as unmanaged.
"""

from __future__ import annotations

from typing import Any

from components.shared.tags import PROJECT_TAG, STACK_TAG
from fsctl.drift.live.model import LiveRead, Scope, Unmanaged, paginate, tag_map
from fsctl.plan.types import S3_BUCKET

VOLUME_TYPE = "aws:ebs/volume:Volume"
"""How a report names an EBS volume (no resource of the stack's state has this type)."""


def read(client: Any, scope: Scope) -> LiveRead:
    """The stack's tagged volumes of projects its state no longer has, as retained."""
    result = LiveRead()
    serving = {
        str(project)
        for bucket in scope.of_type(S3_BUCKET)
        if (project := (bucket.inputs.get("tags") or {}).get(PROJECT_TAG))
    }
    for volume in paginate(
        client,
        "describe_volumes",
        "Volumes",
        Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [scope.stack]}],
    ):
        tags = tag_map(volume.get("Tags"))
        project = tags.get(PROJECT_TAG)
        if project is None or project in serving:
            continue
        reason = (
            f"retained by a decommission: a data volume of project {project!r}, which the "
            f"state no longer has ({volume.get('State')}, {volume.get('Size')} GiB)"
        )
        result.retained.append(Unmanaged(VOLUME_TYPE, str(volume["VolumeId"]), reason))
    return result
