"""Replace identical copies of a shared library (libx.so, libx.so.0, libx.so.0.1) by symlinks.

Python wheels cannot carry symlinks, so llama-cpp-python's libraries arrive three times each.
The fully versioned file is kept; the shorter names become relative links to it. Usage:
dedupe_libs.py BUNDLE_DIR. Only files in the same folder with the same content are linked.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dedupe(bundle: Path) -> int:
    saved = 0
    for folder in {p.parent for p in bundle.rglob("*.so*") if p.is_file()}:
        groups: dict[tuple[str, str], list[Path]] = {}
        for lib in folder.glob("*.so*"):
            if lib.is_file() and not lib.is_symlink():
                stem = lib.name.split(".so", 1)[0]
                groups.setdefault((stem, _digest(lib)), []).append(lib)
        for same in groups.values():
            if len(same) < 2:
                continue
            keep = max(same, key=lambda p: len(p.name))  # libx.so.0.25.3
            for other in same:
                if other != keep:
                    saved += other.stat().st_size
                    other.unlink()
                    os.symlink(keep.name, other)
    return saved


if __name__ == "__main__" and sys.platform != "win32":
    print(f"== linked duplicate libraries: {dedupe(Path(sys.argv[1])) >> 20} MiB saved")
