"""AWS partitions: which sign-in and console endpoints serve a role.

Naming: ``*_arn`` is a full ARN string; ``partition`` is its second field
(``aws``, ``aws-us-gov``, ``aws-cn``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-us-gov|aws-cn):iam::(?P<account>\d{12}):role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]{1,64})$",
    re.ASCII,
)

# IAM SAML provider names: 1 to 128 of [A-Za-z0-9._-] (IAM's CreateSAMLProvider).
SAML_PROVIDER_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-us-gov|aws-cn):iam::(?P<account>\d{12}):saml-provider/(?P<name>[\w.-]{1,128})$",
    re.ASCII,
)


@dataclass(frozen=True)
class Partition:
    """A partition's endpoints. ``saml_url`` is where SAML responses go (their Recipient and
    Destination); ``saml_audience`` is the Audience AWS's sign-in there expects (its own SAML
    metadata's entityID outside the commercial partition, where AWS also accepts the endpoint)."""

    name: str
    signin_url: str
    console_url: str
    saml_url: str = ""
    saml_audience: str = ""


PARTITIONS = {
    "aws": Partition(
        "aws",
        "https://signin.aws.amazon.com/federation",
        "https://console.aws.amazon.com/",
        "https://signin.aws.amazon.com/saml",
        "https://signin.aws.amazon.com/saml",
    ),
    "aws-us-gov": Partition(
        "aws-us-gov",
        "https://signin.amazonaws-us-gov.com/federation",
        "https://console.amazonaws-us-gov.com/",
        "https://signin.amazonaws-us-gov.com/saml",
        "urn:amazon:webservices:govcloud",
    ),
    "aws-cn": Partition(
        "aws-cn",
        "https://signin.amazonaws.cn/federation",
        "https://console.amazonaws.cn/",
        "https://signin.amazonaws.cn/saml",
        "urn:amazon:webservices:cn-north-1",
    ),
}


def partition_of(role_arn: str) -> Partition:
    match = ROLE_ARN.match(role_arn)
    if match is None:
        raise ValueError(f"not an IAM role ARN: {role_arn!r}")
    return PARTITIONS[match["partition"]]
