"""The mock cloud's answers to invokes (`aws.get_*` and the like), as AWS gives them.

Each answer takes the invoke's arguments and the region of its provider; one that AWS would
refuse raises, as AWS does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.eks.addon_versions import AddonName, newest_offered
from components.nodes.instance_catalogue import described_figures, instance_type
from fsctl.plan.mock_account import ACCOUNT_ID, PARTITION, availability_zone_id, stable_hex

# Zones per region where a region has more than the usual three; others get a, b and c.
_REGION_ZONE_LETTERS = {"us-east-1": "abcdef", "us-west-2": "abcd", "ap-northeast-1": "acd"}


def _availability_zones(_: dict[str, Any], region: str) -> dict[str, Any]:
    letters = _REGION_ZONE_LETTERS.get(region, "abc")
    return {
        "id": region,
        "names": [region + letter for letter in letters],
        "zoneIds": [availability_zone_id(region, letter) for letter in letters],
        "groupNames": [region for _ in letters],
        "state": "available",
    }


# Service-linked roles every account that runs EKS node groups has.
_SERVICE_ROLES = {
    "/aws-service-role/autoscaling.amazonaws.com/": "AWSServiceRoleForAutoScaling",
    "/aws-service-role/eks-nodegroup.amazonaws.com/": "AWSServiceRoleForAmazonEKSNodegroup",
}


def _roles(args: dict[str, Any], __: str) -> dict[str, Any]:
    prefix = str(args.get("pathPrefix") or "/")
    found = {path: name for path, name in _SERVICE_ROLES.items() if path.startswith(prefix)}
    return {
        "id": ACCOUNT_ID,
        "pathPrefix": prefix,
        "names": list(found.values()),
        "arns": [
            f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{path}{name}" for path, name in found.items()
        ],
    }


def _role(args: dict[str, Any], __: str) -> dict[str, Any]:
    """A role of this account, as GetRole describes it.

    The account has every role a config names (`in_this_account`): whether the real account
    has it is what the lookup checks under `pulumi up`.
    """
    name = args["name"]
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}",
        "path": "/",
        "uniqueId": "AROA" + stable_hex(name, 17).upper(),
        "assumeRolePolicy": "{}",
        "createDate": "2024-01-01T00:00:00Z",
        "description": "",
        "maxSessionDuration": 3600,
        "permissionsBoundary": "",
        "roleLastUseds": [],
        "tags": {},
    }


class UnknownAddonError(LookupError):
    """What the provider answers when AWS lists no build of an add-on for a Kubernetes version."""


def _addon_version(args: dict[str, Any], region: str) -> dict[str, Any]:
    """The add-on catalogue's newest build, as `describe-addon-versions` lists it first.

    The catalogue records which builds AWS offers, not which one it makes the default: only
    the newest (`mostRecent`) is answered.
    """
    addon, kubernetes_version = args["addonName"], args["kubernetesVersion"]
    if not args.get("mostRecent"):
        raise NotImplementedError(
            "the add-on catalogue records no default versions; ask for mostRecent"
        )
    newest = newest_offered(AddonName(addon), kubernetes_version)
    if newest is None:
        raise UnknownAddonError(
            f"reading EKS Add-On version info ({addon}, {kubernetes_version}): empty result"
        )
    return {
        "id": addon,
        "addonName": addon,
        "kubernetesVersion": kubernetes_version,
        "mostRecent": True,
        "version": newest,
        "region": region,
    }


def _caller_identity(_: dict[str, Any], __: str) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/fsctl-plan/offline",
        "userId": "AROAOFFLINEPLAN:offline",
        "id": ACCOUNT_ID,
    }


HUB_ACCOUNT_ID = "210987654321"
"""The network account that shares the organisation's transit gateway (AWS RAM)."""


def _transit_gateway(args: dict[str, Any], region: str) -> dict[str, Any]:
    """A hub shared from the network account, with AWS's defaults for a new gateway."""
    gateway_id = args["id"]
    route_table = f"tgw-rtb-{stable_hex(gateway_id, 17)}"
    return {
        "id": gateway_id,
        "arn": f"arn:{PARTITION}:ec2:{region}:{HUB_ACCOUNT_ID}:transit-gateway/{gateway_id}",
        "ownerId": HUB_ACCOUNT_ID,
        "amazonSideAsn": 64512,
        "autoAcceptSharedAttachments": "enable",
        "defaultRouteTableAssociation": "enable",
        "defaultRouteTablePropagation": "enable",
        "associationDefaultRouteTableId": route_table,
        "propagationDefaultRouteTableId": route_table,
        "description": "organisation hub",
        "dnsSupport": "enable",
        "encryptionSupport": "disable",
        "multicastSupport": "disable",
        "securityGroupReferencingSupport": "disable",
        "vpnEcmpSupport": "enable",
        "transitGatewayCidrBlocks": [],
        "region": region,
        "tags": {},
    }


def _instance_type(args: dict[str, Any], __: str) -> dict[str, Any]:
    """The catalogue's figures, as DescribeInstanceTypes gives them.

    An unknown type fails, as AWS's InvalidInstanceType does.
    """
    name = args["instanceType"]
    described = described_figures(instance_type(name))
    return {
        "id": name,
        "instanceType": name,
        **{_camel(field): value for field, value in described.items()},
    }


def _camel(field: str) -> str:
    """A provider field's wire name (`default_vcpus` -> `defaultVcpus`)."""
    first, *rest = field.split("_")
    return first + "".join(part.title() for part in rest)


def _partition(_: dict[str, Any], __: str) -> dict[str, Any]:
    return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION}


def _region(_: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    }


INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
    "aws:iam/getRoles:getRoles": _roles,
    "aws:iam/getRole:getRole": _role,
    "aws:eks/getAddonVersion:getAddonVersion": _addon_version,
    "aws:ec2transitgateway/getTransitGateway:getTransitGateway": _transit_gateway,
    "aws:ec2/getInstanceType:getInstanceType": _instance_type,
}
"""The answer to each invoke the program makes, by token (but `getKubeconfig`, the cloud's own)."""
