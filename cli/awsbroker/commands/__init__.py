"""The sub-commands, one module each; each has ``add_parser(subparsers)`` and sets ``run``."""

from awsbroker.commands import configure, console, credentials, env, login, logout, roles, serve

COMMANDS = [login, logout, roles, credentials, env, console, configure, serve]
