"""Where the CLI keeps its files, on Linux, macOS and Windows.

``AWSBROKER_HOME`` overrides the directory (tests, several identities).
Otherwise: ``%APPDATA%\\awsbroker`` on Windows, ``~/Library/Application
Support/awsbroker`` on macOS, ``$XDG_CONFIG_HOME/awsbroker`` (``~/.config``)
elsewhere. The AWS config file is the AWS CLI's: ``AWS_CONFIG_FILE`` or
``~/.aws/config``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def home() -> Path:
    override = os.environ.get("AWSBROKER_HOME")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "awsbroker"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "awsbroker"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "awsbroker"


def config_file() -> Path:
    return home() / "config.json"


def tokens_file() -> Path:
    return home() / "tokens.json"


def cache_dir() -> Path:
    return home() / "cache"


def lock_file() -> Path:
    return home() / "refresh.lock"


def aws_config_file() -> Path:
    return Path(os.environ.get("AWS_CONFIG_FILE") or Path.home() / ".aws" / "config").expanduser()
