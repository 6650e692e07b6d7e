"""The curated catalog of recommended models (resources/catalog.json).

Entries marked `verified` had every value checked against the real file. The others name public
repositories whose size and sha256 could not be checked when the catalog was written: they are
null, and the download takes the sha256 the server publishes before fetching a byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.config.paths import resources_dir
from app.core.errors import ModelError

CATALOG_FILE = "catalog.json"


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    file_name: str
    url: str | None
    size_bytes: int | None
    sha256: str | None
    license: str | None
    context_length: int | None
    ram_estimate_bytes: int | None
    template_family: str | None
    quantization: str | None
    note: str
    verified: bool
    source: str
    bundled: bool = False

    @property
    def downloadable(self) -> bool:
        return bool(self.url) and not self.bundled


def catalog_path() -> Path:
    return resources_dir() / CATALOG_FILE


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    path = path or catalog_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [_entry(item) for item in raw["models"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"The model catalog {path} cannot be read ({exc}); reinstall Enclave."
        ) from exc


def find_entry(spec: str, entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """A catalog entry by id, display name or file name (case-insensitive)."""
    wanted = spec.strip().lower()
    for entry in entries if entries is not None else load_catalog():
        if wanted in (entry.id.lower(), entry.name.lower(), entry.file_name.lower()):
            return entry
    return None


def _entry(item: dict[str, Any]) -> CatalogEntry:
    sha = item.get("sha256")
    if sha is not None and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
        raise ValueError(f"entry {item.get('id')!r} has a malformed sha256")
    return CatalogEntry(
        id=str(item["id"]),
        name=str(item["name"]),
        file_name=str(item["file_name"]),
        url=item.get("url"),
        size_bytes=item.get("size_bytes"),
        sha256=sha,
        license=item.get("license"),
        context_length=item.get("context_length"),
        ram_estimate_bytes=item.get("ram_estimate_bytes"),
        template_family=item.get("template_family"),
        quantization=item.get("quantization"),
        note=str(item.get("note", "")),
        verified=bool(item.get("verified", False)),
        source=str(item.get("source", "")),
        bundled=bool(item.get("bundled", False)),
    )
