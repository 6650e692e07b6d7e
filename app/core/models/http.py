"""The HTTP requests of a model download: policy-checked, TLS-verified, redirect by redirect.

Redirects are followed here rather than by urllib so that every hop is checked against the
policy's `allowed_hosts` and opened through `netguard.permit` (Hugging Face answers a download
with a redirect to its CDN, and the first answer carries the file's sha256). Proxies come from
the usual environment variables (urllib's ProxyHandler); certificates are always verified.
"""

from __future__ import annotations

import http.client
import re
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlparse

from app.core import netguard
from app.core.config.policy import Policy
from app.core.errors import DownloadError, PolicyRefused

MAX_REDIRECTS = 10
USER_AGENT = "Enclave-model-download"  # no version, no machine details
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib raises HTTPError with the 3xx; `open_url` follows it itself


def _opener() -> urllib.request.OpenerDirector:
    context = ssl.create_default_context()  # verifies certificates and host names
    return urllib.request.build_opener(
        urllib.request.ProxyHandler(),  # http_proxy / https_proxy / no_proxy from the env
        urllib.request.HTTPSHandler(context=context),
        _NoRedirect(),
    )


@dataclass
class Opened:
    response: http.client.HTTPResponse
    url: str  # after redirects
    hop_headers: list[Message] = field(default_factory=list)  # every answer, first to last

    def header(self, name: str) -> str | None:
        """The first value of `name` over the redirect chain (the origin's own answer first)."""
        for headers in [*self.hop_headers, self.response.headers]:
            value = headers.get(name)
            if value:
                return value
        return None


def check_url(url: str, policy: Policy) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise DownloadError(f"{url!r} is not an http(s) address of a model file.")
    if not policy.host_allowed(parsed.hostname):
        allowed = ", ".join(policy.network.allowed_hosts)
        raise PolicyRefused(
            f"The administrator's policy allows downloads only from {allowed}; {parsed.hostname} "
            f"is not one of them."
        )


def open_url(
    url: str,
    policy: Policy,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
    ok_statuses: tuple[int, ...] = (200, 206),
) -> Opened:
    """Open `url`, following redirects; an error status raises DownloadError."""
    opener = _opener()
    hops: list[Message] = []
    for _ in range(MAX_REDIRECTS):
        check_url(url, policy)
        request = urllib.request.Request(url, method=method, headers=headers or {})
        request.add_header("User-Agent", USER_AGENT)
        try:
            with netguard.permit(url):
                response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            location = (
                exc.headers.get("Location") if exc.code in (301, 302, 303, 307, 308) else None
            )
            if location:
                hops.append(exc.headers)
                exc.close()
                url = urljoin(url, location)
                continue
            if exc.code in ok_statuses:
                return Opened(exc, url, hops)  # type: ignore[arg-type]  # e.g. 416 when asked
            exc.close()
            raise DownloadError(http_error_message(exc.code, url)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise DownloadError(network_error_message(exc, url)) from exc
        return Opened(response, url, hops)
    raise DownloadError(
        f"{url} redirects more than {MAX_REDIRECTS} times; the server is misconfigured."
    )


def http_error_message(code: int, url: str) -> str:
    host = urlparse(url).hostname
    if code == 404:
        return (
            f"The server {host} has no file at {url} (HTTP 404); the catalog entry or mirror may "
            f"be out of date — check the address or ask your administrator."
        )
    if code in (401, 403):
        return (
            f"The server {host} refused the download of {url} (HTTP {code}); the model may need "
            f"a login or license acceptance on its site."
        )
    if code >= 500:
        return (
            f"The server {host} failed while sending {url} (HTTP {code}); try again later, the "
            f"download resumes where it stopped."
        )
    return f"The server {host} answered HTTP {code} for {url}; the download did not start."


def network_error_message(exc: BaseException, url: str) -> str:
    host = urlparse(url).hostname
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return (
            f"The certificate of {host} could not be verified ({reason.verify_message}); the "
            f"download was refused. If your company inspects HTTPS, ask IT to install its "
            f"certificate in the system store."
        )
    if isinstance(reason, ConnectionRefusedError):
        return f"Could not connect to {host}: the connection was refused; check the address."
    if isinstance(reason, TimeoutError):
        return f"{host} did not answer in time; check the network and try again."
    if isinstance(reason, netguard.NetworkRefused):
        return str(reason)
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return f"Could not reach {host}: {text}; check the network or proxy settings and try again."


def sha256_from_headers(opened: Opened) -> str | None:
    """The LFS sha256 a Hugging Face-like server publishes (X-Linked-Etag, else a sha ETag)."""
    for name in ("X-Linked-Etag", "ETag"):
        value = opened.header(name)
        if value:
            candidate = value.strip().removeprefix("W/").strip('"').lower()
            if _SHA256.match(candidate):
                return candidate
    return None


def parse_sha256_text(text: str) -> str | None:
    """`sha256sum` output or a bare digest."""
    token = text.strip().split()[0].lower() if text.strip() else ""
    return token if _SHA256.match(token) else None
