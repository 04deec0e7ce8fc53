"""The signing key and the certificates the metadata publishes.

Read from files (or the key's PEM from ``BROKER_AWS_SAML_KEY``, the
``NAME_FILE`` convention) and parsed once per process: the cache is keyed on
the settings and the files' modification times, so a replaced file is read
again and a settings change (tests, rotation) takes effect at once. In debug
without a key, a pair is generated once into ``BROKER_AWS_SAML_DEV_KEY_DIR``
so that the web process and the worker sign with the same key.
"""

from __future__ import annotations

import base64
import datetime
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings

MIN_RSA_BITS = 2048


class SigningKeyUnavailable(Exception):
    """No usable signing pair is configured (503: the deployment must fix it)."""

    status = 503
    code = "saml_signing_unavailable"


@dataclass(frozen=True)
class Certificate:
    pem: bytes
    der_b64: str  # what <ds:X509Certificate> holds
    not_after: datetime.datetime
    sha256: str

    @classmethod
    def parse(cls, pem: bytes, *, where: str) -> Certificate:
        try:
            cert = x509.load_pem_x509_certificate(pem)
        except ValueError:
            raise SigningKeyUnavailable(f"{where} is not a PEM X.509 certificate") from None
        der = cert.public_bytes(serialization.Encoding.DER)
        return cls(
            pem=pem,
            der_b64=base64.b64encode(der).decode(),
            not_after=cert.not_valid_after_utc,
            sha256=cert.fingerprint(hashes.SHA256()).hex(":"),
        )


@dataclass(frozen=True)
class SigningPair:
    """The private key (as xmlsec holds it) and the certificate assertions carry."""

    key: xmlsec.Key = field(repr=False)
    bits: int
    certificate: Certificate
    published: tuple[Certificate, ...]  # signing first, then the next one when set


def _read(path: str, setting: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SigningKeyUnavailable(f"{setting} points to an unreadable file: {exc.strerror}") from None


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns if path else 0
    except OSError:
        return -1


def _rsa_bits(key_pem: bytes, cert_pem: bytes) -> int:
    try:
        private = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise SigningKeyUnavailable(
            "the AWS SAML signing key is not an unencrypted PEM private key"
        ) from None
    if not isinstance(private, rsa.RSAPrivateKey):
        raise SigningKeyUnavailable("the AWS SAML signing key must be RSA (AWS verifies RSA-SHA256)")
    public = x509.load_pem_x509_certificate(cert_pem).public_key()
    if public.public_numbers() != private.public_key().public_numbers():  # type: ignore[union-attr]
        raise SigningKeyUnavailable("BROKER_AWS_SAML_CERT_FILE does not belong to the signing key")
    return private.key_size


@functools.lru_cache(maxsize=4)
def _load(
    key_file: str, key_inline: str, cert_file: str, next_file: str, _stamp: tuple[int, ...]
) -> SigningPair:
    key_pem = _read(key_file, "BROKER_AWS_SAML_KEY_FILE") if key_file else key_inline.encode()
    cert_pem = _read(cert_file, "BROKER_AWS_SAML_CERT_FILE")
    certificate = Certificate.parse(cert_pem, where="BROKER_AWS_SAML_CERT_FILE")
    bits = _rsa_bits(key_pem, cert_pem)
    published = [certificate]
    if next_file:
        following = Certificate.parse(_read(next_file, "BROKER_AWS_SAML_NEXT_CERT_FILE"), where=next_file)
        if following.sha256 != certificate.sha256:
            published.append(following)
    key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
    return SigningPair(key=key, bits=bits, certificate=certificate, published=tuple(published))


def configured() -> bool:
    return bool(
        (settings.BROKER_AWS_SAML_KEY_FILE or settings.BROKER_AWS_SAML_KEY)
        and settings.BROKER_AWS_SAML_CERT_FILE
    )


def signing_pair() -> SigningPair:
    """The pair to sign with; ``SigningKeyUnavailable`` naming the setting when there is none."""
    if configured():
        key_file, cert_file = settings.BROKER_AWS_SAML_KEY_FILE, settings.BROKER_AWS_SAML_CERT_FILE
        key_inline = "" if key_file else settings.BROKER_AWS_SAML_KEY
    elif settings.DEBUG:
        key_file, cert_file, key_inline = (*map(str, development_pair()), "")
    else:
        raise SigningKeyUnavailable(
            "saml roles need BROKER_AWS_SAML_KEY_FILE and BROKER_AWS_SAML_CERT_FILE (an RSA pair of "
            f"{MIN_RSA_BITS} bits or more)"
        )
    next_file = settings.BROKER_AWS_SAML_NEXT_CERT_FILE
    stamp = (_mtime(key_file), _mtime(cert_file), _mtime(next_file))
    return _load(key_file, key_inline, cert_file, next_file, stamp)


def generate_pair(common_name: str, *, bits: int = MIN_RSA_BITS, days: int = 365) -> tuple[bytes, bytes]:
    """A new RSA key and its self-signed certificate, as PEM (AWS checks no CA on SAML providers)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(private, hashes.SHA256())
    )
    key_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def development_pair() -> tuple[Path, Path]:
    """Debug only: a pair generated once and kept on disk, so every process signs alike."""
    folder = Path(settings.BROKER_AWS_SAML_DEV_KEY_DIR)
    if not (folder / "cert.pem").exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
        staging.mkdir(mode=0o700, exist_ok=True)
        key_pem, cert_pem = generate_pair("aws-identity-broker development IdP")
        (staging / "key.pem").write_bytes(key_pem)
        (staging / "key.pem").chmod(0o600)
        (staging / "cert.pem").write_bytes(cert_pem)
        try:
            staging.rename(folder)  # atomic: a process racing us sees its pair or ours, never a mix
        except OSError:
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()
    return folder / "key.pem", folder / "cert.pem"
