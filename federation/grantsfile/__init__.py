"""The grants file: accounts, roles and group grants as YAML or JSON.

``load`` applies a file all-or-nothing and refuses any key it does not know
(``schema``); ``export`` writes what ``load`` reads back unchanged.
"""

from __future__ import annotations

from federation.grantsfile.exporter import dump, export
from federation.grantsfile.loader import Summary, load
from federation.grantsfile.reader import GrantsFileError, parse

__all__ = ["GrantsFileError", "Summary", "dump", "export", "load", "parse"]
