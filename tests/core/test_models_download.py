"""Downloads against a real HTTP server on 127.0.0.1 serving the real model: verified, resumed
after dropped connections and restarts, refused on a bad checksum, HTTP errors and a full disk —
and never a registered model unless its sha256 matched."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config.policy import Policy
from app.core.config.runtime import Runtime
from app.core.default_model import DEFAULT_MODEL_SHA256
from app.core.errors import Cancelled, DownloadError, ModelError, PolicyRefused
from app.core.models import download as dl
from app.core.models.catalog import load_catalog
from app.core.models.manager import ModelManager
from app.core.models.pull import mirrored
from app.core.types import CancelToken
from tests.helpers.http_server import ModelServer

ROUTE = "/org/repo-GGUF/resolve/main/gemma-3-test.gguf"
MB = 1 << 20


@pytest.fixture(autouse=True)
def bundled(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))


def make_manager(tmp_path: Path, policy: str = "") -> ModelManager:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "policy.toml").write_text(policy, encoding="utf-8")
    return ModelManager(Runtime.create(tmp_path / "data", tmp_path / "policy.toml"))


def downloaded(manager: ModelManager) -> list:
    return [m for m in manager.installed() if m.source == "download"]


def leftovers(manager: ModelManager) -> list[str]:
    return sorted(
        p.name
        for p in manager.models_dir.iterdir()
        if p.name != "registry.json" and not p.name.endswith(".lock")  # the locks stay
    )


def test_full_download_verified_and_registered(tmp_path, server, variant_model) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="linked-etag", redirect=True)
    manager = make_manager(tmp_path)
    plan = manager.plan_pull(url)
    assert (plan.sha256, plan.sha256_source, plan.size) == (sha, "server", path.stat().st_size)
    seen = []
    added = manager.pull(plan, progress=seen.append)
    model = added.model
    assert model.sha256 == sha and model.source == "download" and model.url == url
    assert model.path == manager.models_dir / "gemma-3-test.gguf"
    assert leftovers(manager) == ["gemma-3-test.gguf"]  # no .part, no .part.json
    assert [m.id for m in downloaded(manager)] == [sha[:12]]
    last = seen[-1]
    assert last.done == last.total == path.stat().st_size and last.fraction == 1.0
    assert any(p.speed_bps > 0 for p in seen)
    # The server's sha256 came from the first hop of the redirect, as on Hugging Face.
    assert [r.path for r in server.requests[:2]] == [ROUTE, "/cdn" + ROUTE]


@pytest.mark.parametrize("drops", [[-1], [1 * MB, 100 * MB, -1]])
def test_dropped_connections_resume_to_the_right_sha256(tmp_path, server, variant_model, drops):
    path, sha = variant_model
    size = path.stat().st_size
    offsets = [size - 1 if d == -1 else d for d in drops]
    url = server.serve(ROUTE, path, sha256=sha, publish="etag")
    server.faults.drop_at = list(offsets)
    manager = make_manager(tmp_path)
    model = manager.pull(manager.plan_pull(url), retries=len(offsets), retry_delay_s=0).model
    assert model.sha256 == sha
    ranges = [r.range for r in server.gets(ROUTE)]
    assert ranges == [None] + [f"bytes={o}-" for o in offsets]
    assert server.faults.drop_at == []
    assert leftovers(manager) == ["gemma-3-test.gguf"]


def test_resume_after_a_restart(tmp_path, server, variant_model) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="etag")
    server.faults.drop_at = [100 * MB]
    manager = make_manager(tmp_path)
    plan = manager.plan_pull(url)
    with pytest.raises(DownloadError, match="stopped at 104857600 bytes; start it again"):
        manager.pull(plan, retries=0)
    part, meta = dl.part_paths(manager.models_dir, plan.file_name)
    assert part.stat().st_size == 100 * MB and meta.is_file()
    assert downloaded(manager) == []
    # A new process: a fresh manager finds the partial file and continues from it.
    again = make_manager(tmp_path)
    seen = []
    model = again.pull(again.plan_pull(url), progress=seen.append).model
    assert model.sha256 == sha
    assert server.gets(ROUTE)[-1].range == f"bytes={100 * MB}-"
    assert any(p.phase == "checking" for p in seen)  # the kept bytes were hashed again
    assert leftovers(again) == ["gemma-3-test.gguf"]


def test_pause_keeps_the_partial_file_and_resume_finishes(tmp_path, server, variant_model):
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="etag")
    manager = make_manager(tmp_path)
    plan = manager.plan_pull(url)
    pause = CancelToken()

    def pause_at_50mb(progress) -> None:
        if progress.done >= 50 * MB:
            pause.cancel()

    with pytest.raises(dl.DownloadPaused):
        manager.pull(plan, progress=pause_at_50mb, pause=pause)
    part, _ = dl.part_paths(manager.models_dir, plan.file_name)
    kept = part.stat().st_size
    assert kept >= 50 * MB and downloaded(manager) == []
    assert manager.partial_downloads() == [part]
    model = manager.pull(plan).model
    assert model.sha256 == sha
    assert server.gets(ROUTE)[-1].range == f"bytes={kept}-"


def test_cancel_removes_the_partial_file(tmp_path, server, variant_model) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="etag")
    manager = make_manager(tmp_path)
    cancel = CancelToken()

    def cancel_at_30mb(progress) -> None:
        if progress.done >= 30 * MB:
            cancel.cancel()

    with pytest.raises(Cancelled):
        manager.pull(manager.plan_pull(url), progress=cancel_at_30mb, cancel=cancel)
    assert leftovers(manager) == [] and downloaded(manager) == []


def test_wrong_sha256_is_rejected_and_nothing_registered(tmp_path, server, variant_model):
    path, _sha = variant_model
    url = server.serve(ROUTE, path, publish="none")
    manager = make_manager(tmp_path)
    wrong = "ab" * 32
    plan = manager.plan_pull(url, sha256=wrong)
    assert plan.sha256_source == "given"
    with pytest.raises(DownloadError) as info:
        manager.pull(plan)
    message = str(info.value)
    assert f"but {wrong} was expected" in message and "nothing was installed" in message
    assert leftovers(manager) == [] and downloaded(manager) == []


def test_the_real_default_gguf_downloads_byte_exact(tmp_path, server, model_path) -> None:
    """The low-level download on the bundled file itself (the manager would say "installed")."""
    url = server.serve("/gemma.gguf", model_path, sha256=DEFAULT_MODEL_SHA256)
    server.faults.drop_at = [MB, 100 * MB, model_path.stat().st_size - 1]
    (tmp_path / "models").mkdir()
    got = dl.download(
        url,
        tmp_path / "models",
        "gemma.gguf",
        Policy(),
        expected_sha256=DEFAULT_MODEL_SHA256,
        retries=3,
        retry_delay_s=0,
    )
    assert got.sha256 == DEFAULT_MODEL_SHA256 and got.size == 253_113_024
    manager = make_manager(tmp_path / "m")
    assert manager.pull(manager.plan_pull(url)).already_installed  # it is the bundled model


@pytest.mark.parametrize(("status", "words"), [(404, "has no file"), (500, "failed while sending")])
def test_http_errors_are_clear(tmp_path, server, variant_model, status, words) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="etag")
    server.faults.status[ROUTE] = status
    manager = make_manager(tmp_path)
    with pytest.raises(DownloadError) as info:
        manager.plan_pull(url)  # the HEAD for the sha256 already fails
    assert f"HTTP {status}" in str(info.value) and words in str(info.value)
    plan = manager.plan_pull(url, sha256=sha)  # a given sha256 needs no HEAD
    with pytest.raises(DownloadError, match=f"HTTP {status}"):
        manager.pull(plan)
    assert leftovers(manager) == [] and downloaded(manager) == []


def test_connection_refused_is_clear(tmp_path, variant_model) -> None:
    with ModelServer() as gone:
        url = gone.url(ROUTE)
    manager = make_manager(tmp_path)
    with pytest.raises(DownloadError, match=r"connect to 127\.0\.0\.1: the connection was"):
        manager.pull(manager.plan_pull(url, sha256=variant_model[1]))


def test_a_server_that_ignores_range_restarts_cleanly(tmp_path, server, variant_model):
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="etag")
    server.faults.drop_at = [60 * MB]
    server.faults.ignore_range = True
    manager = make_manager(tmp_path)
    assert manager.pull(manager.plan_pull(url), retry_delay_s=0).model.sha256 == sha


def test_sidecar_sha256_from_a_mirror(tmp_path, server, variant_model) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="sidecar")
    plan = make_manager(tmp_path).plan_pull(url)
    assert (plan.sha256, plan.sha256_source) == (sha, "sidecar")


def test_no_published_sha256_is_refused_unless_accepted(tmp_path, server, variant_model):
    path, sha = variant_model
    url = server.serve(ROUTE, path, publish="none")
    manager = make_manager(tmp_path)
    with pytest.raises(DownloadError, match=r"publishes no sha256.*--allow-unverified"):
        manager.plan_pull(url)
    assert server.gets(ROUTE) == []  # not a byte of the model was fetched
    plan = manager.plan_pull(url, allow_unverified=True)
    assert plan.sha256 is None and plan.sha256_source == "none"
    assert manager.pull(plan).model.sha256 == sha  # computed while downloading


def test_catalog_model_through_the_policy_mirror(tmp_path, server, variant_model) -> None:
    path, sha = variant_model
    entry = next(e for e in load_catalog() if e.id == "qwen2.5-1.5b-instruct")
    server.serve("/mirror/" + entry.file_name, path, sha256=sha, publish="sidecar")
    manager = make_manager(tmp_path, f'[models]\nmirror_url = "{server.url("/mirror/")}"\n')
    plan = manager.plan_pull("qwen2.5-1.5b-instruct")
    assert plan.url == server.url("/mirror/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf")
    assert plan.source_url == entry.url
    model = manager.pull(plan).model
    assert model.name == "Qwen2.5 1.5B Instruct" and model.sha256 == sha


def test_mirror_rule() -> None:
    hf = "https://huggingface.co/bartowski/X-GGUF/resolve/main/X-Q4_K_M.gguf"
    assert mirrored(hf, "https://m.intra/gguf/") == "https://m.intra/gguf/X-Q4_K_M.gguf"
    assert mirrored(hf, "https://m.intra/gguf") == "https://m.intra/gguf/X-Q4_K_M.gguf"
    assert mirrored(hf, None) == hf
    assert mirrored("https://m.intra/other/a.gguf", "https://m.intra/gguf/") == (
        "https://m.intra/other/a.gguf"
    )


def test_downloads_off_by_policy(tmp_path, server, variant_model) -> None:
    url = server.serve(ROUTE, variant_model[0], sha256=variant_model[1])
    manager = make_manager(tmp_path, "[network]\nallow_model_downloads = false\n")
    with pytest.raises(PolicyRefused, match="Model downloads are turned off"):
        manager.plan_pull(url)
    assert server.requests == []


def test_allowed_hosts_cover_every_redirect(tmp_path, server, variant_model) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, redirect=True)
    manager = make_manager(tmp_path, '[network]\nallowed_hosts = ["models.intranet.example"]\n')
    with pytest.raises(PolicyRefused, match=r"only from models\.intranet\.example; 127\.0\.0\.1"):
        manager.plan_pull(url)
    assert server.requests == []
    # The first host is allowed, but it redirects to "localhost", which is not.
    server.cdn_base = server.base.replace("127.0.0.1", "localhost")
    manager = make_manager(tmp_path / "b", '[network]\nallowed_hosts = ["127.0.0.1"]\n')
    with pytest.raises(PolicyRefused, match="localhost is not one of them"):
        manager.plan_pull(url)
    assert [r.path for r in server.requests] == [ROUTE]  # the CDN was never contacted
    manager = make_manager(
        tmp_path / "c", '[network]\nallowed_hosts = ["127.0.0.1", "localhost"]\n'
    )
    assert manager.plan_pull(url).sha256 == sha


def test_allowlist_refuses_before_downloading(tmp_path, server, variant_model) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="etag")
    manager = make_manager(tmp_path, f'[models]\nallowlist_sha256 = ["{DEFAULT_MODEL_SHA256}"]\n')
    with pytest.raises(PolicyRefused, match="does not allow"):
        manager.plan_pull(url)
    assert server.gets(ROUTE) == []


def test_an_unverified_download_outside_the_allowlist_is_deleted(tmp_path, server, variant_model):
    path, _sha = variant_model
    url = server.serve(ROUTE, path, publish="none")
    manager = make_manager(tmp_path, f'[models]\nallowlist_sha256 = ["{DEFAULT_MODEL_SHA256}"]\n')
    plan = manager.plan_pull(url, allow_unverified=True)
    with pytest.raises(PolicyRefused):
        manager.pull(plan)
    assert leftovers(manager) == [] and downloaded(manager) == []


def test_a_downloaded_file_that_is_not_a_model_is_deleted(tmp_path, server) -> None:
    page = tmp_path / "page.gguf"
    page.write_text("<html>Sign in to continue</html>\n" * 100, encoding="utf-8")
    url = server.serve("/page.gguf", page, publish="none")
    manager = make_manager(tmp_path)
    with pytest.raises(ModelError, match=r"text file.*The downloaded file was deleted"):
        manager.pull(manager.plan_pull(url, allow_unverified=True))
    assert leftovers(manager) == [] and downloaded(manager) == []


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * MB, 64 * MB))


def test_full_disk_gives_a_clear_error_and_no_model(tmp_path, server, variant_model) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, publish="etag")
    data = tmp_path / "data"
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(data)}
    proc = subprocess.run(
        [sys.executable, "-m", "app", "models", "pull", url],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        preexec_fn=_limit_file_size,
    )
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("enclave: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert "Not enough disk space" in errors[0] and "Nothing was installed" in errors[0]
    manager = ModelManager(Runtime.create(data, tmp_path / "no-policy.toml"))
    assert downloaded(manager) == [] and leftovers(manager) == []
