"""Entry point of both frozen programs, `enclave` (console) and `enclave-gui` (windowed).

With no sub-command either opens the desktop app; `enclave-gui` is only built without a
console window, so double-clicking it on Windows or macOS shows no terminal.
"""

import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
