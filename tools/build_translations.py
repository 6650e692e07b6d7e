"""Regenerate the translation sources and their compiled catalogues.

    .venv/bin/python tools/build_translations.py          # lupdate + lrelease
    .venv/bin/python tools/build_translations.py --check  # fail if a French string is missing

lupdate scans every module under app/ui for tr()/translate() calls and merges them into
resources/translations/enclave_fr.ts (existing translations are kept, obsolete ones dropped);
lrelease compiles it to enclave_fr.qm, which the window loads. Both files are committed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "resources" / "translations"
LANGUAGES = ("fr",)


def tool(name: str) -> str:
    """pyside6-lupdate / pyside6-lrelease from the same environment as this Python."""
    beside = Path(sys.executable).parent / f"pyside6-{name}"
    found = str(beside) if beside.exists() else shutil.which(f"pyside6-{name}")
    if not found:
        sys.exit(f"pyside6-{name} not found: install PySide6-Essentials in this environment")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app" / "ui").rglob("*.py"))


def unfinished(ts_file: Path) -> list[str]:
    missing = []
    for message in ET.parse(ts_file).getroot().iter("message"):
        translation = message.find("translation")
        kind = translation.get("type") if translation is not None else "unfinished"
        if kind in ("obsolete", "vanished"):
            continue
        if translation is None or kind == "unfinished" or not (translation.text or "").strip():
            missing.append(message.findtext("source") or "")
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail on untranslated strings")
    args = parser.parse_args()
    for lang in LANGUAGES:
        ts_file = TRANSLATIONS / f"enclave_{lang}.ts"
        subprocess.run(
            [
                tool("lupdate"),
                "-no-obsolete",
                "-locations",
                "none",
                *sources(),
                "-ts",
                str(ts_file.relative_to(ROOT)),
            ],
            cwd=ROOT,
            check=True,
        )
        subprocess.run(
            [tool("lrelease"), str(ts_file), "-qm", str(ts_file.with_suffix(".qm"))],
            cwd=ROOT,
            check=True,
        )
        missing = unfinished(ts_file)
        print(f"{ts_file.name}: {len(missing)} untranslated")
        if args.check and missing:
            for source in missing:
                print(f"  missing: {source!r}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
