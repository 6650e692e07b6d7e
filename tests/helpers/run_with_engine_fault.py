"""Run `python -m app ...` with an engine that fails mid-reply with an unexpected exception.

    python -m tests.helpers.run_with_engine_fault chat "a prompt"

A fault at the edge, for the logging proof: the reply has started (the prompt is stored and
in memory) when generation raises a plain RuntimeError, so the command line takes its
"unexpected error" path, which writes a traceback to the log file.
"""

from __future__ import annotations

import runpy
import sys


def _fail(self, messages, params, cancel=None, **_options):
    raise RuntimeError("the decoder hit an internal fault")


if __name__ == "__main__":
    from app.core.backends.local_process import ProcessEngine
    from app.core.engine import LocalEngine

    LocalEngine.generate = _fail  # type: ignore[method-assign]
    ProcessEngine.generate = _fail  # type: ignore[method-assign]  # the one front ends use
    sys.argv = ["app", *sys.argv[1:]]
    runpy.run_module("app", run_name="__main__", alter_sys=True)
