"""The trust policy a saml role needs: the broker's SAML provider may assume it, at AWS's endpoint.

``SAML:aud`` is the assertion's Recipient (AWS's SAML sign-in URL), the same
for the console hop and AssumeRoleWithSAML, so one condition serves both.
``sts:TagSession`` and ``sts:SetSourceIdentity`` let the broker's session tags
and SourceIdentity through. No Django here: the demo provisioning uses it too.
"""

from __future__ import annotations

from typing import Any


def trust_policy(provider_arn: str, endpoint: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
                "Condition": {"StringEquals": {"SAML:aud": endpoint}},
            }
        ],
    }
