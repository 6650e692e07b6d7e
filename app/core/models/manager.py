"""The model manager: one place for what the window and `enclave models` do with models.

Every operation checks the admin policy itself — downloads allowed, hosts, mirror, the
sha256 allowlist at import, download and load, the pinned default — so no caller can forget.
Long operations (download, copy, hashing) take a progress callback and a CancelToken and are
meant for a worker thread; nothing here touches Qt.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from app.core.config.runtime import Runtime
from app.core.default_model import DEFAULT_MODEL_SHA256
from app.core.errors import Cancelled, EnclaveError, ModelError, PolicyRefused
from app.core.file_lock import file_lock
from app.core.models import download as dl
from app.core.models.admission import check_model_file
from app.core.models.catalog import CatalogEntry, load_catalog
from app.core.models.fit import FitResult, check_fit, estimate_memory
from app.core.models.gguf_check import GgufHeader, check_gguf
from app.core.models.hashing import sha256_file
from app.core.models.importer import (
    discard,
    install_lock,
    prepare,
    put_in_place,
    unique_target,
)
from app.core.models.progress import ProgressFn, ProgressMeter
from app.core.models.pull import PullPlan, plan_pull
from app.core.models.registry import (
    InstalledModel,
    ModelSettings,
    Placement,
    Registry,
    new_entry,
)
from app.core.models.resolve import check_allowed, find_installed
from app.core.types import CancelToken


@dataclass(frozen=True)
class Inspection:
    header: GgufHeader
    model: InstalledModel | None  # None for a file that is not installed
    fit: FitResult


@dataclass(frozen=True)
class VerifyResult:
    model: InstalledModel
    ok: bool
    actual_sha256: str | None
    message: str


@dataclass(frozen=True)
class Added:
    model: InstalledModel
    already_installed: bool  # the same file (by sha256) was installed before


class ModelManager:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.policy = runtime.policy
        self.models_dir = runtime.paths.models_dir
        self.registry = Registry(self.models_dir, self.policy.models.directory)

    # -- listing and choosing -----------------------------------------------------------
    def installed(self, refresh: bool = True) -> list[InstalledModel]:
        return self.registry.installed(refresh=refresh)

    @property
    def problems(self) -> list[str]:
        return list(self.registry.problems)

    def catalog(self) -> list[CatalogEntry]:
        return load_catalog()

    def find(self, spec: str) -> InstalledModel:
        model = find_installed(spec, self.installed(refresh=False))
        model = model or find_installed(spec, self.installed(refresh=True))
        if model is None:
            raise ModelError(
                f"No installed model matches {spec!r}; see 'enclave models list' for ids and names."
            )
        return model

    def default_model(self) -> InstalledModel | None:
        """What an empty model choice loads: the user's, else the policy's, else the bundled."""
        spec = self.runtime.settings.current.model or self.policy.models.default
        models = self.installed(refresh=False)
        if spec:
            with contextlib.suppress(EnclaveError):
                return find_installed(spec, models)
            return None
        return next((m for m in models if m.sha256 == DEFAULT_MODEL_SHA256), None)

    def set_default(self, model: InstalledModel) -> None:
        """Make `model` the one an empty choice loads (refused if the policy locks it)."""
        check_allowed(self.policy, model.sha256, model.name)
        self.runtime.settings.update(model=model.id)

    def set_settings(self, model: InstalledModel, settings: ModelSettings) -> None:
        self.registry.set_settings(model.id, settings)

    def rename(self, model_id: str, name: str) -> str:
        """The user's name for an installed model (empty: back to the header's); returns it."""
        return self.registry.rename(model_id, name)

    # -- inspecting ---------------------------------------------------------------------
    def inspect(self, spec: str, n_ctx: int | None = None) -> Inspection:
        """Header facts and the fit check of an installed model or a .gguf path."""
        path = Path(spec).expanduser()
        model = None if path.is_file() else self.find(spec)
        header = check_gguf(model.path if model else path)
        if model is None:
            model = next((m for m in self.installed(refresh=False) if _same(m.path, path)), None)
        ctx = n_ctx or self._context_for(model, header)
        return Inspection(header, model, check_fit(estimate_memory(header, ctx)))

    def fit(self, model: InstalledModel, n_ctx: int | None = None) -> FitResult:
        header = check_gguf(model.path)
        return check_fit(estimate_memory(header, n_ctx or self._context_for(model, header)))

    def _context_for(self, model: InstalledModel | None, header: GgufHeader) -> int:
        wanted = (model.settings.context_size if model else None) or (
            self.runtime.settings.current.context_size
        )
        return min(wanted, header.context_length) if header.context_length else wanted

    # -- adding -------------------------------------------------------------------------
    def import_file(
        self,
        source: Path,
        placement: Placement = "copy",
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> Added:
        """Check, hash, copy or link, and register a local .gguf file."""
        source = Path(source).expanduser()
        # Up to date first: the file may be the bundled model, or one put in the folder by hand.
        existing = next((m for m in self.installed() if _same(m.path, source)), None)
        if existing is not None:
            check_model_file(source)
            return Added(existing, True)
        if self.policy.models.allowlist_sha256 and placement == "copy":
            # Check before writing gigabytes: hash in place first, copy only an allowed file.
            check_model_file(source)
            meter = ProgressMeter(progress, source.stat().st_size, "hashing")
            digest = sha256_file(source, lambda done, _total: meter(done), cancel)
            check_allowed(self.policy, digest, source.name)
        prepared = prepare(source, self.models_dir, placement, progress, cancel)
        try:
            check_allowed(self.policy, prepared.sha256, source.name)
        except PolicyRefused:
            discard(prepared)
            raise
        with install_lock(self.models_dir):
            already = self._installed_with(prepared.sha256)
            if already is not None:
                discard(prepared)
                return Added(already, True)
            target = put_in_place(prepared, self.models_dir)
            entry = new_entry(prepared.header, prepared.sha256, target, "import", placement)
            added = self.registry.add(entry)
        self._audit("model_imported", added, str(source))
        return Added(added, False)

    def plan_pull(
        self, spec: str, sha256: str | None = None, allow_unverified: bool = False
    ) -> PullPlan:
        return plan_pull(spec, self.policy, sha256=sha256, allow_unverified=allow_unverified)

    def pull(
        self,
        plan: PullPlan,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        pause: CancelToken | None = None,
        retries: int = 3,
        retry_delay_s: float = 1.0,
    ) -> Added:
        """Download `plan`, verify it, move it into place and register it."""
        # One download of a file at a time: two would write the same `.part`.
        lock = self.models_dir / f".{plan.file_name}.download.lock"
        with file_lock(lock, f"the download of {plan.file_name}", timeout=0):
            known = self._installed_with(plan.sha256) if plan.sha256 else None
            if known is not None:
                return Added(known, True)
            got = dl.download(
                plan.url,
                self.models_dir,
                plan.file_name,
                self.policy,
                expected_sha256=plan.sha256,
                progress=progress,
                cancel=cancel,
                pause=pause,
                retries=retries,
                retry_delay_s=retry_delay_s,
            )
            meta = got.path.with_name(got.path.name + ".json")
            with install_lock(self.models_dir):
                target = unique_target(self.models_dir, plan.file_name, got.sha256)
                try:
                    check_allowed(self.policy, got.sha256, plan.file_name)
                    os.replace(got.path, target)
                    header = check_model_file(target)
                except (EnclaveError, OSError) as exc:
                    _remove_file(target)
                    dl.discard_partial(self.models_dir, plan.file_name)
                    if isinstance(exc, OSError):
                        raise ModelError(
                            f"Could not move the downloaded model into place: {exc}."
                        ) from exc
                    if isinstance(exc, ModelError):
                        raise ModelError(f"{exc} The downloaded file was deleted.") from exc
                    raise
                _remove_file(meta)
                known = self._installed_with(got.sha256)
                if known is not None:  # the same file was installed meanwhile, under another name
                    _remove_file(target)
                    return Added(known, True)
                entry = new_entry(
                    header,
                    got.sha256,
                    target,
                    "download",
                    "copy",
                    name=plan.name,
                    url=plan.source_url,
                )
                added = self.registry.add(entry)
        self._audit("model_downloaded", added, plan.source_url or plan.url)
        return Added(added, False)

    def _audit(self, event: str, model: InstalledModel, source: str) -> None:
        self.runtime.audit.record(event, name=model.name, sha256=model.sha256, source=source)

    def _installed_with(self, sha256: str) -> InstalledModel | None:
        """The installed, present model with this sha256 (the bundled one counts)."""
        refresh = sha256 == DEFAULT_MODEL_SHA256  # assembled on first listing
        models = self.installed(refresh=refresh)
        return next((m for m in models if m.sha256 == sha256 and m.present), None)

    def partial_downloads(self) -> list[Path]:
        """`.part` files a paused or interrupted download left, to resume or discard."""
        return sorted(self.models_dir.glob("*.gguf.part"))

    # -- removing and verifying ---------------------------------------------------------
    def removal_refusal(self, model: InstalledModel) -> str | None:
        """Why `model` cannot be removed, or None."""
        if model.source == "bundled":
            return f"{model.name} is the bundled default model; it cannot be removed."
        if model.source == "shared":
            return (
                f"{model.name} is in the shared models directory managed by your administrator; "
                f"it cannot be removed here."
            )
        pinned = self.policy.models.default
        if pinned and find_installed(pinned, [model]) is model:
            return (
                f"{model.name} is the default model set by your administrator's policy; it "
                f"cannot be removed."
            )
        return None

    def remove(self, model: InstalledModel) -> None:
        """Delete a user's model file (a link: only the link) and forget it."""
        reason = self.removal_refusal(model)
        if reason is not None:
            pinned = model.source not in ("bundled", "shared")
            raise PolicyRefused(reason) if pinned else ModelError(reason)
        if model.path.exists() or model.path.is_symlink():
            try:
                model.path.unlink()
            except OSError as exc:
                raise ModelError(
                    f"Could not delete {model.path}: {exc.strerror or exc}; close any program "
                    f"using it and try again."
                ) from exc
        self.registry.forget(model.id)
        self._audit("model_removed", model, str(model.path))
        current = self.runtime.settings.current.model
        if current and find_installed(current, [model]) is model:
            with contextlib.suppress(PolicyRefused):
                self.runtime.settings.update(model="")

    def verify(
        self,
        models: list[InstalledModel],
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> list[VerifyResult]:
        """Hash each model again and compare with the sha256 recorded when it was installed."""
        results = []
        for model in models:
            results.append(self._verify_one(model, progress, cancel or CancelToken()))
        return results

    def _verify_one(
        self, model: InstalledModel, progress: ProgressFn | None, cancel: CancelToken
    ) -> VerifyResult:
        if not model.present:
            return VerifyResult(model, False, None, f"file missing: {model.path}")
        meter = ProgressMeter(progress, model.size, "hashing")
        try:
            actual = sha256_file(model.path, lambda done, _total: meter(done), cancel)
        except ModelError as exc:
            return VerifyResult(model, False, None, str(exc))
        except Cancelled:
            raise
        if actual == model.sha256:
            return VerifyResult(model, True, actual, "OK")
        return VerifyResult(
            model, False, actual, f"MISMATCH: sha256 is {actual}, expected {model.sha256}"
        )


def _remove_file(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
