"""Decide what a download fetches, from where, and which sha256 it must have.

A pull names a catalog model or gives an https URL of a .gguf file. Before a byte of the model
is fetched, the policy is checked (downloads allowed, host allowed, mirror) and the expected
sha256 is settled, in this order: the catalog's value, the one the user gave (`--sha256`), the
one the server publishes — Hugging Face answers a HEAD on a `resolve` URL with the LFS sha256
in `X-Linked-Etag`; an intranet mirror may serve `<file>.sha256` beside the file. With none of
these Enclave refuses, unless the user explicitly accepts an unverified download.

Mirror rule: with `[models] mirror_url` set, everything up to the file name is replaced by the
mirror URL, so IT serves all models flat from one directory:
  https://huggingface.co/bartowski/X-GGUF/resolve/main/X-Q4_K_M.gguf
  -> https://models.intranet.example/gguf/X-Q4_K_M.gguf   (mirror_url = ".../gguf/")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from app.core.config.policy import Policy
from app.core.errors import DownloadError, EnclaveError, ModelError, PolicyRefused
from app.core.models.catalog import CatalogEntry, find_entry, load_catalog
from app.core.models.http import check_url, open_url, parse_sha256_text, sha256_from_headers
from app.core.models.resolve import check_allowed

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
SIDECAR_MAX_BYTES = 4096


class UnverifiedDownload(DownloadError):
    """No sha256 is known for the file: the user must give one or accept an unchecked file."""


@dataclass(frozen=True)
class PullPlan:
    url: str  # what is fetched (after the mirror rule)
    source_url: str  # what was asked for, kept in the registry
    file_name: str
    name: str | None  # display name from the catalog
    sha256: str | None
    sha256_source: str  # catalog | given | server | sidecar | none
    size: int | None
    catalog_id: str | None = None


def downloads_allowed(policy: Policy) -> None:
    if not policy.network.allow_model_downloads:
        raise PolicyRefused(
            "Model downloads are turned off by your administrator's policy; ask IT to install "
            "the model for you or to place it in the shared models directory."
        )


def mirrored(url: str, mirror: str | None) -> str:
    """Apply the mirror rule (see the module's docstring)."""
    if not mirror:
        return url
    file_name = PurePosixPath(urlparse(url).path).name
    if urlparse(url).hostname == urlparse(mirror).hostname:
        return url  # already on the mirror
    return mirror.rstrip("/") + "/" + file_name


def plan_pull(
    spec: str,
    policy: Policy,
    *,
    sha256: str | None = None,
    allow_unverified: bool = False,
    catalog: list[CatalogEntry] | None = None,
    timeout_s: float = 30.0,
) -> PullPlan:
    """Everything a download needs, checked against the policy; may ask the server (HEAD)."""
    downloads_allowed(policy)
    given = _given_sha(sha256)
    entry = find_entry(spec, catalog if catalog is not None else load_catalog())
    if entry is not None:
        if not entry.downloadable:
            raise ModelError(f"{entry.name} is bundled with Enclave; it is already installed.")
        source_url, file_name, known = str(entry.url), entry.file_name, entry.sha256
        if known and given and known != given:
            raise DownloadError(
                f"The sha256 given ({given[:12]}…) differs from the catalog's for {entry.name} "
                f"({known[:12]}…); check the value."
            )
    elif spec.lower().startswith(("http://", "https://")):
        source_url, file_name, known = spec, _file_name(spec), None
    else:
        raise ModelError(
            f"No catalog model named {spec!r}: see 'enclave models catalog', or give the https "
            f"address of a .gguf file."
        )
    url = mirrored(source_url, policy.models.mirror_url)
    check_url(url, policy)
    expected, origin, size = known or given, "catalog" if known else "given", None
    if entry is not None and entry.size_bytes:
        size = entry.size_bytes
    if expected is None:
        expected, origin, size = _published_sha256(url, policy, timeout_s)
    if expected is None and not allow_unverified:
        raise UnverifiedDownload(
            f"{urlparse(url).hostname} publishes no sha256 for {file_name}, so Enclave cannot "
            f"check the file; give the checksum from a trusted source with --sha256 HEX, or "
            f"accept an unverified download explicitly with --allow-unverified."
        )
    if expected is not None:
        check_allowed(policy, expected, file_name)
    return PullPlan(
        url,
        source_url,
        file_name,
        entry.name if entry else None,
        expected,
        origin if expected else "none",
        size,
        entry.id if entry else None,
    )


def _published_sha256(
    url: str, policy: Policy, timeout_s: float
) -> tuple[str | None, str, int | None]:
    """The server's sha256 for `url`: from the HEAD's headers, else a `.sha256` sidecar."""
    head = open_url(url, policy, method="HEAD", timeout=timeout_s)
    with head.response:
        sha = sha256_from_headers(head)
        size_text = head.header("X-Linked-Size") or head.response.headers.get("Content-Length")
    size = int(size_text) if size_text and size_text.isdigit() else None
    if sha:
        return sha, "server", size
    try:
        sidecar = open_url(url + ".sha256", policy, timeout=timeout_s, ok_statuses=(200,))
    except DownloadError:
        return None, "none", size  # no sidecar published (404) or it cannot be read
    with sidecar.response:
        text = sidecar.response.read(SIDECAR_MAX_BYTES).decode("utf-8", errors="replace")
    sha = parse_sha256_text(text)
    return sha, ("sidecar" if sha else "none"), size


def _given_sha(value: str | None) -> str | None:
    if value is None:
        return None
    digest = value.strip().lower().removeprefix("sha256:")
    if not _SHA256.match(digest):
        raise EnclaveError(f"{value!r} is not a sha256: give 64 hexadecimal digits.")
    return digest


def _file_name(url: str) -> str:
    name = unquote(PurePosixPath(urlparse(url).path).name)
    if not name.lower().endswith(".gguf") or "/" in name or name.startswith("."):
        raise DownloadError(
            f"{url} does not end with a .gguf file name; give the address of the model file "
            f"itself (on Hugging Face, a '/resolve/main/….gguf' link)."
        )
    return name
