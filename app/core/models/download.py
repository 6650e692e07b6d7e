"""Download a model file: resumable, verified, cancellable. Runs only on a user's request.

The bytes go to `<file>.part` in the models directory, beside a small `<file>.part.json` that
remembers the URL, the expected sha256 and the server's ETag. An interrupted download — a
dropped connection, a pause, the program closed — resumes from the end of the `.part` with an
HTTP Range request; the existing bytes are hashed again first, so the final sha256 covers the
whole file. A dropped connection is retried a few times on its own. Cancel deletes the partial
file; pause keeps it. The caller gets the finished file only once its sha256 matched.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from app.core.atomic_write import PRIVATE, write_text_atomic
from app.core.config.policy import Policy
from app.core.errors import Cancelled, DownloadError
from app.core.models.http import Opened, network_error_message, open_url
from app.core.models.progress import ProgressFn, ProgressMeter
from app.core.types import CancelToken

CHUNK = 1 << 20
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


class DownloadPaused(Cancelled):
    """The user paused: the partial file is kept and the next attempt resumes from it."""


@dataclass(frozen=True)
class Downloaded:
    path: Path  # the verified `.part` file; the caller moves it into place
    sha256: str
    size: int
    resumed_from: int


def part_paths(models_dir: Path, file_name: str) -> tuple[Path, Path]:
    part = models_dir / f"{file_name}.part"
    return part, part.with_name(part.name + ".json")


def discard_partial(models_dir: Path, file_name: str) -> None:
    for path in part_paths(models_dir, file_name):
        with contextlib.suppress(OSError):
            path.unlink()


def download(
    url: str,
    models_dir: Path,
    file_name: str,
    policy: Policy,
    *,
    expected_sha256: str | None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    pause: CancelToken | None = None,
    retries: int = 3,
    retry_delay_s: float = 1.0,
    timeout_s: float = 30.0,
) -> Downloaded:
    """Fetch `url` into `models_dir/<file_name>.part` and return it once verified."""
    transfer = _Transfer(
        url,
        models_dir,
        file_name,
        policy,
        expected_sha256,
        progress,
        cancel or CancelToken(),
        pause or CancelToken(),
        timeout_s,
    )
    return transfer.run(retries, retry_delay_s)


class _Dropped(Exception):
    """The connection broke mid-way; the bytes so far are on disk and in the digest."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Transfer:
    def __init__(
        self,
        url: str,
        models_dir: Path,
        file_name: str,
        policy: Policy,
        expected: str | None,
        progress: ProgressFn | None,
        cancel: CancelToken,
        pause: CancelToken,
        timeout_s: float,
    ) -> None:
        self.url, self.models_dir, self.file_name, self.policy = url, models_dir, file_name, policy
        self.expected, self.progress, self.cancel, self.pause = expected, progress, cancel, pause
        self.timeout_s = timeout_s
        self.part, self.meta_file = part_paths(models_dir, file_name)
        self.meta: dict = {}
        self.offset = 0  # bytes on disk, all of them in `digest`
        self.digest = hashlib.sha256()
        self.meter: ProgressMeter | None = None

    def run(self, retries: int, retry_delay_s: float) -> Downloaded:
        self._resume_or_start()
        resumed_from = self.offset
        failures = 0
        while True:
            self._stop_if_asked()
            try:
                self._attempt()
                break
            except _Dropped as exc:
                failures += 1
                if failures > retries:
                    raise DownloadError(
                        f"{exc.message} The download stopped at {self.offset} bytes; start it "
                        f"again to resume."
                    ) from None
                _wait(retry_delay_s * failures, self.cancel, self.pause)
        actual = self.digest.hexdigest()
        if self.expected and actual != self.expected:
            discard_partial(self.models_dir, self.file_name)
            raise DownloadError(
                f"The downloaded file's sha256 is {actual} but {self.expected} was expected; "
                f"the file is damaged or not the one announced, so it was deleted and nothing "
                f"was installed."
            )
        return Downloaded(self.part, actual, self.offset, resumed_from)

    def _resume_or_start(self) -> None:
        meta = _read_meta(self.meta_file)
        if (
            self.part.exists()
            and meta.get("url") == self.url
            and meta.get("sha256") == self.expected
        ):
            self.meta = meta
            meter = ProgressMeter(self.progress, meta.get("total"), "checking")
            # Re-hash what is already there: the final checksum must cover every byte.
            with self.part.open("rb") as fh:
                while block := fh.read(CHUNK):
                    self._stop_if_asked()
                    self.digest.update(block)
                    self.offset += len(block)
                    meter(self.offset)
            return
        discard_partial(self.models_dir, self.file_name)
        self.meta = {"url": self.url, "sha256": self.expected, "etag": None, "total": None}

    def _attempt(self) -> None:
        """One request, appending to the partial file; raises _Dropped to be retried."""
        headers = {"Accept-Encoding": "identity"}
        if self.offset:
            headers["Range"] = f"bytes={self.offset}-"
            etag = self.meta.get("etag")
            if etag and not str(etag).startswith("W/"):
                headers["If-Range"] = etag  # a file changed on the server comes back whole
        opened = open_url(
            self.url,
            self.policy,
            headers=headers,
            timeout=self.timeout_s,
            ok_statuses=(200, 206, 416),
        )
        with opened.response as response:
            status = response.status
            if status == 416:
                if self.offset and self.meta.get("total") == self.offset:
                    return  # the partial file was already complete
                self._restart()
                raise _Dropped("The server could not resume the download; starting over.")
            if status != 206 or _range_start(opened) != self.offset:
                self._restart()  # the server sent the whole file
            total = _total_size(opened, self.offset)
            self.meta.update(total=total, etag=opened.header("ETag"))
            _write_meta(self.meta_file, self.meta)
            _check_free_space(self.models_dir, total, self.offset)
            self._receive(response, total)
        self._stop_if_asked()
        if total is not None and self.offset < total:
            raise _Dropped(
                f"The connection to the server closed after {self.offset} of {total} bytes."
            )

    def _receive(self, response: object, total: int | None) -> None:
        if self.meter is None:  # one meter across retries keeps the speed meaningful
            self.meter = ProgressMeter(self.progress, total, "downloading")
        meter = self.meter
        meter.total = total
        meter(self.offset, force=True)
        try:
            flags = os.O_RDWR | os.O_CREAT | (0 if self.offset else os.O_TRUNC)
            out = os.fdopen(os.open(self.part, flags, PRIVATE), "r+b")
        except OSError as exc:
            self._disk_error(exc, total)
        with out:
            out.seek(self.offset)
            out.truncate()
            while not (self.cancel.cancelled or self.pause.cancelled):
                try:
                    block = response.read1(CHUNK)  # type: ignore[attr-defined]  # what arrived
                except (OSError, http.client.HTTPException) as exc:
                    raise _Dropped(network_error_message(exc, self.url)) from exc
                if not block:
                    break
                try:
                    out.write(block)
                    out.flush()  # a full disk shows up here, not at close
                except OSError as exc:
                    self._disk_error(exc, total)
                self.digest.update(block)
                self.offset += len(block)
                meter(self.offset)
            try:
                os.fsync(out.fileno())
            except OSError as exc:
                self._disk_error(exc, total)
        meter(self.offset, force=True)

    def _restart(self) -> None:
        self.offset, self.digest = 0, hashlib.sha256()

    def _disk_error(self, exc: OSError, total: int | None) -> NoReturn:
        discard_partial(self.models_dir, self.file_name)
        if exc.errno in _DISK_FULL:
            free = shutil.disk_usage(self.models_dir).free
            needed = total - self.offset if total else None
            raise DownloadError(_disk_full_message(self.models_dir, free, needed)) from exc
        raise DownloadError(
            f"Could not write the model to {self.models_dir}: {exc.strerror or exc}; nothing "
            f"was installed."
        ) from exc

    def _stop_if_asked(self) -> None:
        if self.cancel.cancelled:
            discard_partial(self.models_dir, self.file_name)
            raise Cancelled()
        if self.pause.cancelled:
            raise DownloadPaused()


def _range_start(opened: Opened) -> int | None:
    value = opened.response.headers.get("Content-Range", "")
    try:  # "bytes 100-199/200"
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _total_size(opened: Opened, offset: int) -> int | None:
    content_range = opened.response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        with contextlib.suppress(ValueError):
            return int(content_range.rsplit("/", 1)[1])
    length = opened.response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _check_free_space(models_dir: Path, total: int | None, offset: int) -> None:
    """Refuse before writing when the disk cannot hold the rest; the partial file is kept."""
    if total is None:
        return
    free = shutil.disk_usage(models_dir).free
    if total - offset > free:
        raise DownloadError(_disk_full_message(models_dir, free, total - offset))


def _disk_full_message(models_dir: Path, free: int, needed: int | None) -> str:
    need = f", {needed / 1e9:.2f} GB needed" if needed else ""
    return (
        f"Not enough disk space in {models_dir} for this model ({free / 1e9:.2f} GB free{need}); "
        f"free some space and try again. Nothing was installed."
    )


def _wait(seconds: float, cancel: CancelToken, pause: CancelToken) -> None:
    """Sleep between retries, but wake at once for a cancel or pause."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (cancel.cancelled or pause.cancelled):
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


def _read_meta(meta_file: Path) -> dict:
    try:
        data = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_meta(meta_file: Path, meta: dict) -> None:
    try:
        write_text_atomic(meta_file, json.dumps(meta))
    except OSError as exc:
        raise DownloadError(
            f"Could not write to {meta_file.parent}: {exc.strerror or exc}; free some disk space "
            f"or check permissions. Nothing was installed."
        ) from exc
