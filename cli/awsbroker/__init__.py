"""awsbroker: the AWS identity broker's command line (standard library only)."""

__version__ = "0.1.0"
