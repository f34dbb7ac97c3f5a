"""Helm rules: every chart comes from an explicit repository at an exact version."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.support import mapping, resource_policy, text

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_CHART = "kubernetes:helm.sh/v4:Chart"
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def helm_release_pinned() -> ResourceValidationPolicy:
    """Helm charts come from an explicit repository at an exact version."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        chart = text(args.props.get("chart"))
        if chart.startswith(("./", "../", "/")) or chart.endswith(".tgz"):
            return  # a chart in this repository, or an archive URL: pinned by its path
        version = text(args.props.get("version"))
        if not _EXACT_VERSION.match(version):
            shown = f"version {version!r}" if version else "no version"
            yield (
                f"chart {chart} of {args.name} has {shown}, so the next chart release changes "
                "the deployment unreviewed; set version to an exact release such as 1.2.3"
            )
        repository = text(mapping(args.props.get("repositoryOpts")).get("repo"))
        if not chart.startswith("oci://") and not repository:
            yield (
                f"chart {chart} of {args.name} comes from whatever repository the machine's "
                "Helm config names; set repositoryOpts.repo (or use an oci:// chart reference)"
            )

    return resource_policy(
        "helm-release-pinned",
        "Helm releases must pin an exact chart version from an explicit repository.",
        [HELM_RELEASE, HELM_CHART],
        check,
    )


POLICIES: list[Policy] = [helm_release_pinned()]
