"""The AWS account quotas the stack counts against: one table, read by everything that needs one.

Config validation (`infra/config/rules.py`) counts what the config asks for, preflight
(`fsctl/preflight/quotas.py`) counts what the plan creates, the config model takes each
default from here (`featurestore:quotas.<key>`), and the generated config reference prints the
code and name. Each quota's code is the Service Quotas code (`aws service-quotas
get-aws-default-service-quota --service-code S --quota-code C`); the error is what the AWS API
answers when a create goes over it.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.vector.limits import account_quota


@dataclass(frozen=True)
class AccountQuota:
    """One quota: its config key, AWS's default for a new account, and how AWS names it."""

    key: str
    """The key under `featurestore:quotas` (and in the stack's `quotas` output)."""
    default: int
    code: str
    """The Service Quotas code (`L-…`)."""
    service_code: str
    """The Service Quotas service code (`ec2`, `vpc`, `eks`, `es`)."""
    name: str
    """The quota's name in the Service Quotas console."""
    service: str
    error: str
    """The API error a create over the quota gets."""

    def raise_it(self, value: int) -> str:
        """How to ask for `value`, then say so in the config."""
        return (
            f"raise it with `aws service-quotas request-service-quota-increase --service-code "
            f"{self.service_code} --quota-code {self.code} --desired-value {value}` (or the "
            f"Service Quotas console), then set featurestore:quotas.{self.key} to the granted "
            "value; resources of other stacks in the account count too"
        )


_EC2 = "Amazon Elastic Compute Cloud (Amazon EC2)"
_VPC = "Amazon Virtual Private Cloud (Amazon VPC)"
_OPENSEARCH = "Amazon OpenSearch Service"

ACCOUNT_QUOTAS = {
    quota.key: quota
    for quota in (
        AccountQuota("elasticIpsPerRegion", 5, "L-0263D0A3", "ec2", "EC2-VPC Elastic IPs",
                     _EC2, "AddressLimitExceeded"),
        AccountQuota("vpcsPerRegion", 5, "L-F678F1CE", "vpc", "VPCs per Region", _VPC,
                     "VpcLimitExceeded"),
        AccountQuota("natGatewaysPerAz", 5, "L-FE5A380F", "vpc",
                     "NAT gateways per Availability Zone", _VPC, "NatGatewayLimitExceeded"),
        AccountQuota("nodeGroupsPerCluster", 30, "L-6D54EA21", "eks",
                     "Managed node groups per cluster",
                     "Amazon Elastic Kubernetes Service (Amazon EKS)",
                     "ResourceLimitExceededException"),
        AccountQuota("onDemandStandardVcpus", 5, "L-1216C47A", "ec2",
                     "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", _EC2,
                     "VcpuLimitExceeded"),
        AccountQuota("securityGroupRulesPerGroup", 60, "L-0EA8095F", "vpc",
                     "Inbound or outbound rules per security group", _VPC,
                     "RulesPerSecurityGroupLimitExceeded"),
        AccountQuota("opensearchDomainsPerRegion", account_quota("Domains per Region"),
                     "L-076D529E", "es", "Domains per Region", _OPENSEARCH,
                     "LimitExceededException"),
        AccountQuota("opensearchInstancesPerDomain", account_quota("Instances per domain"),
                     "L-6408ABDE", "es", "Instances per domain", _OPENSEARCH,
                     "LimitExceededException"),
    )
}  # fmt: skip
"""Every quota, by its config key."""
