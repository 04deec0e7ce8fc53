"""Which broker: ``login --url`` (remembered in the config file), ``AWSBROKER_URL``, the config file.

``AWSBROKER_URL`` overrides the remembered URL for one shell or one
``credential_process`` call.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from awsbroker import files, paths
from awsbroker.errors import CliError


def normalise(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(f"{url!r} is not a broker URL (https://broker.example.com)", code=2)
    return url


def remember(url: str) -> None:
    config = files.read_json(paths.config_file())
    config["url"] = url
    files.write_json(paths.config_file(), config)


def broker_url(explicit: str | None = None) -> str:
    chosen = explicit or os.environ.get("AWSBROKER_URL") or files.read_json(paths.config_file()).get("url")
    if not chosen:
        raise CliError("no broker URL: run `awsbroker login --url https://broker.example.com`", code=2)
    return normalise(str(chosen))
