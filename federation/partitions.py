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
    name: str
    signin_url: str
    console_url: str


PARTITIONS = {
    "aws": Partition("aws", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/"),
    "aws-us-gov": Partition(
        "aws-us-gov",
        "https://signin.amazonaws-us-gov.com/federation",
        "https://console.amazonaws-us-gov.com/",
    ),
    "aws-cn": Partition("aws-cn", "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn/"),
}


def partition_of(role_arn: str) -> Partition:
    match = ROLE_ARN.match(role_arn)
    if match is None:
        raise ValueError(f"not an IAM role ARN: {role_arn!r}")
    return PARTITIONS[match["partition"]]
