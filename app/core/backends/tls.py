"""TLS for company servers: the system's trust store plus the policy's company CA.

`truststore` verifies against the operating system's own store (Windows, macOS Keychain, the
Linux CA bundle), which is where IT installs its root; the policy's `[network] ca_file` is
trusted beside it for servers whose CA is not installed system-wide. Certificate and host name
are always verified: there is no switch to turn verification off.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import truststore

from app.core.errors import PolicyError


def ssl_context(ca_file: Path | None = None) -> ssl.SSLContext:
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verify mode and host names on
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise PolicyError(
                f"The company CA file {ca_file} named by [network] ca_file cannot be used "
                f"({getattr(exc, 'strerror', None) or exc}); fix the policy."
            ) from exc
    return context  # type: ignore[return-value]


def is_certificate_error(exc: BaseException) -> bool:
    """A failure to verify the server's certificate, anywhere in the exception's chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if isinstance(seen, ssl.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
