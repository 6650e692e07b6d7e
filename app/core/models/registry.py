"""The installed models: a JSON file in the models directory, written atomically.

Four sources make up the list: the bundled default (assembled on first use), files the user
imported or downloaded, and the admin's shared directory (`[models] directory` in the policy,
possibly read-only), whose files are used in place. Each model is known by its sha256; its id is
the first 12 hex digits. Hashing a multi-gigabyte file takes seconds, so results are cached in
the registry and refreshed only when a file's size or modification time changes.

Every change takes the models folder's lock file (`.registry.lock`, shared by every process),
re-reads the file, applies itself and replaces the file in one `os.replace`, so a crash never
leaves half a registry, and the window and command lines running side by side do not lose each
other's entries. A corrupt registry is set aside (`registry.json.corrupt`) and
rebuilt from the `.gguf` files present.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from app.core.atomic_write import write_text_atomic
from app.core.default_model import (
    DEFAULT_MODEL_NAME,
    DEFAULT_MODEL_SHA256,
    ensure_default_model,
)
from app.core.errors import ModelError
from app.core.file_lock import file_lock
from app.core.models.admission import check_model_file
from app.core.models.gguf_check import GgufHeader, check_gguf, format_params
from app.core.models.hashing import sha256_file, short_id
from app.core.models.naming import clean_user_name, display_name

log = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"
FORMAT_VERSION = 1
Source = Literal["bundled", "import", "download", "shared"]
Placement = Literal["copy", "symlink", "hardlink", "in-place"]
LOCK_FILE = ".registry.lock"
# How names are made from headers (app.core.models.naming). Imported and shared models named
# by an earlier rule (the raw general.name) are named again, once, from their header.
NAMING = 2


@dataclass(frozen=True)
class ModelSettings:
    """Per-model choices; None means "use the global setting"."""

    context_size: int | None = None
    gpu_layers: int | None = None
    template_override: str | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> ModelSettings:
        if not isinstance(raw, dict):
            return cls()
        ctx, gpu, tpl = raw.get("context_size"), raw.get("gpu_layers"), raw.get("template_override")
        return cls(
            context_size=ctx if isinstance(ctx, int) and ctx > 0 else None,
            gpu_layers=gpu if isinstance(gpu, int) and gpu >= -1 else None,
            template_override=tpl if isinstance(tpl, str) and tpl else None,
        )


@dataclass(frozen=True)
class ModelSummary:
    """The header facts shown in lists, cached so listing never re-reads gigabytes."""

    architecture: str = "?"
    quantization: str = "?"
    n_params: int = 0
    size_label: str | None = None
    context_length: int | None = None
    license: str | None = None
    has_chat_template: bool = False

    @classmethod
    def from_header(cls, header: GgufHeader) -> ModelSummary:
        return cls(
            header.architecture,
            header.quantization,
            header.n_params,
            header.size_label,
            header.context_length,
            header.license,
            header.has_chat_template,
        )

    @classmethod
    def from_dict(cls, raw: Any) -> ModelSummary:
        known = set(cls.__dataclass_fields__)
        return (
            cls(**{k: v for k, v in raw.items() if k in known}) if isinstance(raw, dict) else cls()
        )

    @property
    def params_label(self) -> str:
        return format_params(self.n_params) if self.n_params else (self.size_label or "?")


@dataclass(frozen=True)
class InstalledModel:
    id: str
    name: str
    path: Path
    sha256: str
    size: int
    source: Source
    placement: Placement
    added_at: str
    summary: ModelSummary = field(default_factory=ModelSummary)
    url: str | None = None
    settings: ModelSettings = field(default_factory=ModelSettings)

    @property
    def present(self) -> bool:
        return self.path.is_file()

    @property
    def removable(self) -> bool:
        """Bundled and shared models are not the user's to delete."""
        return self.source in ("import", "download")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data.pop("settings")
        return data

    @classmethod
    def from_json(cls, raw: dict[str, Any], settings: ModelSettings) -> InstalledModel:
        return cls(
            id=str(raw["id"]),
            name=str(raw["name"]),
            path=Path(raw["path"]),
            sha256=str(raw["sha256"]),
            size=int(raw["size"]),
            source=raw["source"],
            placement=raw.get("placement", "copy"),
            added_at=str(raw.get("added_at", "")),
            summary=ModelSummary.from_dict(raw.get("summary")),
            url=raw.get("url"),
            settings=settings,
        )


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_entry(
    header: GgufHeader,
    sha256: str,
    path: Path,
    source: Source,
    placement: Placement,
    name: str | None = None,
    url: str | None = None,
) -> InstalledModel:
    return InstalledModel(
        id=short_id(sha256),
        name=name or display_name(header),
        path=path,
        sha256=sha256,
        size=header.file_size,
        source=source,
        placement=placement,
        added_at=now_iso(),
        summary=ModelSummary.from_header(header),
        url=url,
    )


class Registry:
    """The installed models of one data directory (plus the policy's shared directory)."""

    def __init__(self, models_dir: Path, shared_dir: Path | None = None) -> None:
        self.models_dir = models_dir
        self.shared_dir = shared_dir
        self.file = models_dir / REGISTRY_FILE
        self.problems: list[str] = []  # files seen but not usable, for the user to read

    # -- reading ------------------------------------------------------------------------
    def installed(self, refresh: bool = True) -> list[InstalledModel]:
        """Every usable model: bundled first, then the user's, then the shared directory.

        `refresh` brings the bundled model, files dropped into the models directory and the
        shared directory up to date (may hash new files); without it only the file is read.
        """
        if refresh:
            self._refresh()
        data = self._read()  # replaced whole, never written in place: no lock to read
        settings, names = data["settings"], data.get("names", {})
        models = [
            InstalledModel.from_json(raw, ModelSettings.from_dict(settings.get(raw["id"])))
            for raw in data["models"].values()
        ]
        # The user's names live apart: a rescan rewrites entries, never what the user chose.
        models = [replace(m, name=names[m.id]) if m.id in names else m for m in models]
        order = {"bundled": 0, "download": 1, "import": 1, "shared": 2}
        return sorted(models, key=lambda m: (order.get(m.source, 3), m.name.lower()))

    def get(self, model_id: str) -> InstalledModel | None:
        return next((m for m in self.installed(refresh=False) if m.id == model_id), None)

    def by_sha256(self, sha256: str) -> InstalledModel | None:
        return next((m for m in self.installed(refresh=False) if m.sha256 == sha256), None)

    # -- changes ------------------------------------------------------------------------
    def add(self, model: InstalledModel) -> InstalledModel:
        with self._edit() as data:
            data["models"][model.id] = model.to_json()
        return model

    def forget(self, model_id: str) -> None:
        with self._edit() as data:
            data["models"].pop(model_id, None)
            data["settings"].pop(model_id, None)
            data.get("names", {}).pop(model_id, None)

    def set_settings(self, model_id: str, settings: ModelSettings) -> None:
        with self._edit() as data:
            if model_id not in data["models"]:
                raise ModelError(f"No installed model has the id {model_id}.")
            data["settings"][model_id] = asdict(settings)

    def rename(self, model_id: str, name: str) -> str:
        """Show the model as `name` from now on (an empty name brings back the header's)."""
        chosen = clean_user_name(name)
        with self._edit() as data:
            if model_id not in data["models"]:
                raise ModelError(f"No installed model has the id {model_id}.")
            names = data.setdefault("names", {})
            if chosen is None:
                names.pop(model_id, None)
                return str(data["models"][model_id]["name"])
            names[model_id] = chosen
        return chosen

    # -- refreshing ---------------------------------------------------------------------
    def _refresh(self) -> None:
        self.problems = []
        data = self._read()
        cache = data["scan_cache"]
        found: list[dict[str, Any]] = []
        bundled = self._bundled(data)
        registered = {m["path"] for m in data["models"].values() if m["source"] != "shared"}
        if bundled is not None:
            found.append(bundled.to_json())
            registered.add(str(bundled.path))
        # Files dropped into the models directory by hand count as imported copies.
        loose = [p for p in self._gguf_files(self.models_dir) if str(p) not in registered]
        fresh_cache = self._scan(loose, "import", "copy", cache)
        fresh_cache |= self._scan(self._shared_files(), "shared", "in-place", cache)
        found += [c["entry"] for c in fresh_cache.values() if c.get("entry")]
        with self._edit() as current:
            models = current["models"]
            for model_id, raw in list(models.items()):
                if raw["source"] == "shared":  # re-added below while the file is there
                    del models[model_id]
            for raw in found:
                if raw["id"] not in models or raw["source"] == "bundled":
                    models[raw["id"]] = raw
            for raw in models.values():
                _name_anew(raw)
            current["scan_cache"] = fresh_cache

    def _bundled(self, data: dict[str, Any]) -> InstalledModel | None:
        model_id = short_id(DEFAULT_MODEL_SHA256)
        cached = data["models"].get(model_id)
        try:
            path = ensure_default_model(self.models_dir)
        except ModelError as exc:
            self.problems.append(str(exc))
            return None
        if cached and cached.get("source") == "bundled" and Path(cached["path"]) == path:
            return InstalledModel.from_json(cached, ModelSettings())
        try:
            header = check_gguf(path)
        except ModelError as exc:
            self.problems.append(str(exc))
            return None
        return new_entry(
            header, DEFAULT_MODEL_SHA256, path, "bundled", "in-place", name=DEFAULT_MODEL_NAME
        )

    def _shared_files(self) -> list[Path]:
        if self.shared_dir is None:
            return []
        if not self.shared_dir.is_dir():
            self.problems.append(
                f"The shared models directory {self.shared_dir} set by the administrator's "
                f"policy cannot be read; ask your administrator."
            )
            return []
        return self._gguf_files(self.shared_dir)

    def _scan(
        self, files: list[Path], source: Source, placement: Placement, cache: dict[str, Any]
    ) -> dict[str, Any]:
        """Check and hash each file once; later scans reuse the result while the file's size
        and modification time are unchanged. Returns path -> {stamp, entry or None}."""
        fresh: dict[str, Any] = {}
        for path in files:
            try:
                stat = path.stat()
            except OSError:
                continue
            stamp = [stat.st_size, stat.st_mtime_ns]
            cached = cache.get(str(path))
            entry = cached.get("entry") if isinstance(cached, dict) else None
            if cached and cached.get("stamp") == stamp and (not entry or entry["source"] == source):
                fresh[str(path)] = cached
                if entry is not None:
                    _name_anew(entry)
                if entry is None:
                    self.problems.append(cached.get("problem") or f"{path.name} is not usable.")
                continue
            try:
                header = check_model_file(path)
                sha = sha256_file(path)
            except ModelError as exc:
                self.problems.append(str(exc))
                fresh[str(path)] = {"stamp": stamp, "entry": None, "problem": str(exc)}
                continue
            entry = new_entry(header, sha, path, source, placement).to_json() | {"naming": NAMING}
            fresh[str(path)] = {"stamp": stamp, "entry": entry}
        return fresh

    @staticmethod
    def _gguf_files(directory: Path) -> list[Path]:
        try:
            return sorted(
                p.absolute()
                for p in directory.iterdir()
                if p.suffix.lower() == ".gguf" and p.is_file()
            )
        except OSError:
            return []

    # -- the file -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _edit(self) -> Iterator[dict[str, Any]]:
        with file_lock(self.models_dir / LOCK_FILE, "the list of installed models"):
            data = self._read()
            yield data
            self._write(data)

    def _read(self) -> dict[str, Any]:
        empty: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "models": {},
            "settings": {},
            "scan_cache": {},
            "names": {},
        }
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return empty
        except (OSError, ValueError):
            self._set_aside()
            return empty
        if not _valid(raw):
            self._set_aside()
            return empty
        return raw

    def _set_aside(self) -> None:
        log.warning("the model registry %s is unreadable; it was set aside and rebuilt", self.file)
        with contextlib.suppress(OSError):
            self.file.replace(self.file.with_name(REGISTRY_FILE + ".corrupt"))

    def _write(self, data: dict[str, Any]) -> None:
        _atomic_write_json(self.file, data)


def _name_anew(raw: dict[str, Any]) -> None:
    """An imported or shared model named by an earlier rule gets its display name (a
    download keeps the catalog's name; the user's own names live apart and always win)."""
    if raw.get("naming") == NAMING or raw.get("source") not in ("import", "shared"):
        return
    try:
        raw["name"] = display_name(check_gguf(raw["path"]))
    except (ModelError, OSError):
        return  # missing or unreadable: it keeps its name, and the list says what is wrong
    raw["naming"] = NAMING


def _valid(raw: Any) -> bool:
    if not isinstance(raw, dict) or raw.get("version") != FORMAT_VERSION:
        return False
    models, settings = raw.get("models"), raw.get("settings")
    if not isinstance(models, dict) or not isinstance(settings, dict):
        return False
    if not isinstance(raw.setdefault("scan_cache", {}), dict):
        return False
    names = raw.setdefault("names", {})
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        return False
    need = ("id", "name", "path", "sha256", "size", "source")
    return all(isinstance(m, dict) and all(k in m for k in need) for m in models.values())


def _atomic_write_json(path: Path, data: Any) -> None:
    try:
        write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True))
    except OSError as exc:
        raise ModelError(
            f"Cannot save the list of installed models in {path.parent}: "
            f"{exc.strerror or exc}; free some disk space or check permissions."
        ) from exc
