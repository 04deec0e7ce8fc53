"""Who people should ask for access: ``BROKER_SUPPORT_CONTACT``, shown wherever the portal says "ask".

The setting is a name, optionally followed by an address in angle brackets:
``Cloud team <cloud@example.com>`` (a mail link) or
``#aws-access <https://chat.example.com/aws-access>`` (a web link).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest

_WITH_ADDRESS = re.compile(r"^(?P<name>[^<>]+?)\s*<(?P<address>[^<>\s]+)>$")


def contact(raw: str) -> dict[str, str]:
    match = _WITH_ADDRESS.match(raw.strip())
    if match is None:
        return {"name": raw.strip(), "url": ""}
    address = match["address"]
    if address.startswith(("https://", "http://", "mailto:")):
        url = address
    elif "@" in address:
        url = f"mailto:{address}"
    else:
        url = ""
    return {"name": match["name"], "url": url}


def support(request: HttpRequest) -> dict[str, dict[str, str]]:
    return {"support_contact": contact(settings.BROKER_SUPPORT_CONTACT)}
