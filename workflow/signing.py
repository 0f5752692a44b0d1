"""PAdES signatures on the published report, with the deployment's signing certificate.

The certificate comes from the environment (settings.SIGNING_*): a PEM certificate and
key, or a PKCS#12 file, each with an optional passphrase. Without one, the embedded
default makes a self-signed development certificate under var/signing/ on first use;
it proves that the file is unchanged since publication, not who the agency is.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_COMMON_NAME = "itaflow development signing certificate (not for official use)"


def _dev_certificate_paths() -> tuple[Path, Path]:
    """The development key and certificate, made once (the first process to get there)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    directory = Path(settings.SIGNING_DEV_DIR)
    key_path, cert_path = directory / "dev-signing-key.pem", directory / "dev-signing-cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "itaflow"),
            x509.NameAttribute(NameOID.COMMON_NAME, DEV_COMMON_NAME),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_cert_sign=True,
                crl_sign=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written under temporary names and moved in place: two processes that start at once
    # each make a pair, and one complete pair wins.
    suffix = f".{os.getpid()}.tmp"
    key_tmp, cert_tmp = key_path.with_suffix(suffix), cert_path.with_suffix(suffix)
    key_tmp.write_bytes(key_pem)
    key_tmp.chmod(0o600)
    cert_tmp.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    if key_path.exists() and cert_path.exists():
        key_tmp.unlink()
        cert_tmp.unlink()
    else:
        os.replace(key_tmp, key_path)
        os.replace(cert_tmp, cert_path)
    return key_path, cert_path


@functools.cache
def signer():
    """The pyHanko signer of this deployment (loaded once per process)."""
    from pyhanko.sign import signers

    passphrase = settings.SIGNING_PASSPHRASE.encode() if settings.SIGNING_PASSPHRASE else None
    if settings.SIGNING_PKCS12_FILE:
        loaded = signers.SimpleSigner.load_pkcs12(
            settings.SIGNING_PKCS12_FILE, passphrase=passphrase
        )
    elif settings.SIGNING_CERT_FILE and settings.SIGNING_KEY_FILE:
        loaded = signers.SimpleSigner.load(
            settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE, key_passphrase=passphrase
        )
    elif settings.SIGNING_DEV_CERTIFICATE:
        key_path, cert_path = _dev_certificate_paths()
        loaded = signers.SimpleSigner.load(str(key_path), str(cert_path))
    else:
        raise ImproperlyConfigured(
            "No signing certificate: set SIGNING_PKCS12_FILE, or SIGNING_CERT_FILE and "
            "SIGNING_KEY_FILE (see README, 'Signing the published report')."
        )
    if loaded is None:
        raise ImproperlyConfigured("The signing certificate or key could not be read.")
    return loaded


def signing_certificate():
    """The certificate the report is signed with (asn1crypto), e.g. as a trust root."""
    return signer().signing_cert


def pdf_sign(pdf: bytes, *, reason: str, location: str) -> bytes:
    """Sign the whole file (PAdES baseline B, SHA-256) as an incremental update.

    pyHanko's synchronous signing starts an event loop of its own; a thread that already
    runs one (an ASGI server, Playwright in the tests) signs in a helper thread instead.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _signed(pdf, reason=reason, location=location)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_signed, pdf, reason=reason, location=location).result()


def _signed(pdf: bytes, *, reason: str, location: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="ITAflowSignature",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    return signers.sign_pdf(writer, metadata, signer=signer()).getvalue()
