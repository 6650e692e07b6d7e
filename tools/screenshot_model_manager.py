"""Screenshot of the French model manager on a 1024×700 screen, under Xvfb.

    .venv/bin/python tools/screenshot_model_manager.py [--out docs/screenshots] [--lang fr]
        [--screen 1024x700]

Re-runs itself under `xvfb-run` (QT_QPA_PLATFORM=xcb) with a fresh data directory holding the
bundled model and two more models (the bundled weights under other headers, sparse on disk:
SmolLM2 135M Instruct and a Llama file without a basename), opens the real window and its
model manager, and saves model-manager-<lang>.png: the dialog over the dimmed window.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

SMOL = {
    "general.name": "Smollm2 135M 8k Lc100K Mix1 Ep2",
    "general.basename": "smollm2",
    "general.size_label": "135M",
    "general.finetune": "8k-lc100k-mix1-ep2",
    "general.license": "apache-2.0",
}


def models(models_dir: Path, bundled: Path) -> None:
    from tests.helpers.gguf_edit import copy_with_metadata

    models_dir.mkdir(parents=True, exist_ok=True)
    copy_with_metadata(
        bundled, models_dir / "smollm2-135m-instruct-q8_0.gguf", SMOL, copy_weights=False
    )
    copy_with_metadata(
        bundled,
        models_dir / "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf",
        {"general.name": "models", "general.basename": "", "general.license": "llama3.1"},
        copy_weights=False,
    )


def shoot(out: Path, language: str, screen: tuple[int, int]) -> Path:
    from PySide6.QtWidgets import QApplication
    from screenshots import over, settle, wait_until

    from app.core.config.runtime import Runtime
    from app.core.default_model import ensure_default_model
    from app.ui.application import create_qapp, open_window
    from app.ui.i18n import Translations
    from app.ui.models import ModelManagerDialog
    from app.ui.theme import apply_theme

    data = Path(tempfile.mkdtemp(prefix="enclave-shots-"))
    (data / "policy.toml").write_text("", encoding="utf-8")  # no admin policy
    runtime = Runtime.create(data, data / "policy.toml")
    runtime.settings.update(first_run_done=True, language=language, threads=2)
    bundled = ensure_default_model(Path.home() / ".cache" / "enclave-shots")
    os.environ["ENCLAVE_BUNDLED_MODEL"] = str(bundled)
    models(runtime.paths.models_dir, bundled)
    app = create_qapp()
    translations = Translations(app)
    translations.apply(language)
    apply_theme(app, "light")
    window = open_window(runtime, translations=translations)
    window.setGeometry(0, 0, *screen)
    window.show()
    dialog = ModelManagerDialog(runtime, window.worker, window)
    done: list[bool] = []
    dialog.refreshed.connect(lambda: done.append(True))
    dialog.show()
    wait_until(app, lambda: bool(done), 120)
    dialog.table.selectRow(1)
    settle(app)
    path = out / f"model-manager-{language}.png"
    over(window.grab(), dialog.grab()).save(str(path), "PNG", 0)
    print(f"{path}: {dialog.width()}×{dialog.height()} on {screen[0]}×{screen[1]}")
    dialog.reject()
    window.shutdown()
    QApplication.processEvents()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--lang", default="fr", choices=("en", "fr"))
    parser.add_argument("--screen", default="1024x700", help="WIDTHxHEIGHT")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    width, height = (int(n) for n in args.screen.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.inner:
        shoot(out, args.lang, (width, height))
        return 0
    command = [
        "xvfb-run",
        "-a",
        "-s",
        f"-screen 0 {width}x{height}x24",
        sys.executable,
        __file__,
        "--inner",
        "--out",
        str(out),
        "--lang",
        args.lang,
        "--screen",
        args.screen,
    ]
    return subprocess.call(command, env={**os.environ, "QT_QPA_PLATFORM": "xcb"})


if __name__ == "__main__":
    sys.exit(main())
