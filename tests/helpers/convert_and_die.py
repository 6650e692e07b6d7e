"""Child process for the crash tests: convert a history and SIGKILL itself at one stage.

python -m tests.helpers.convert_and_die DB STAGE OLD_KEY_HEX|- NEW_KEY_HEX|-
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from app.core.store import convert


def main() -> None:
    db, stop_at, old, new = sys.argv[1:5]
    old_key = None if old == "-" else bytes.fromhex(old)
    new_key = None if new == "-" else bytes.fromhex(new)

    def on_stage(name: str) -> None:
        if name == stop_at:
            os.kill(os.getpid(), signal.SIGKILL)

    convert.convert(Path(db), old_key, new_key, on_stage)


if __name__ == "__main__":
    main()
