"""Sealing lives in ``broker.sealing`` (the OIDC door seals ID tokens with it too); this name stays."""

from broker.sealing import SealError, keyring, seal, unseal

__all__ = ["SealError", "keyring", "seal", "unseal"]
