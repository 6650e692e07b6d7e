"""A GGUF's own chat template, rendered with bounded time and memory in a helper process.

Jinja's sandbox stops attribute tricks and code execution, but not a template that loops for
hours or builds a string of gigabytes. A hang on the model's worker thread could never be
stopped (threads are not killed), so the template runs in a small process of its own, started
once when the model loads and kept between turns. Each render has a wall-clock limit; the process
has an address-space cap; a process that overruns is killed and replaced at the next render.
Cheap checks inside the sandbox refuse the obvious blow-ups (`'x' * 10**10`, huge widths) at once.

"spawn" (not fork) because the parent holds a loaded model and threads; a frozen bundle needs
`multiprocessing.freeze_support()` in its entry point (packaging/pyinstaller/enclave_entry.py).
This module imports only the standard library and Jinja, so the child starts light.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import re
import signal
import string
import threading
import weakref
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any

from jinja2 import TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

RENDER_TIMEOUT_S = 2.0  # a real template renders in milliseconds
START_TIMEOUT_S = 30.0  # starting an interpreter on a busy machine
MEMORY_HEADROOM_BYTES = 512 * 1024 * 1024  # on top of what the fresh child already maps
MAX_INT_ARGUMENT = 100_000  # widths, counts, indents a template may pass to a call or filter
MAX_PROMPT_CHARS = 4 * 1024 * 1024  # far above any context window's worth of text
MAX_EXPONENT_BITS = 100_000


class SandboxFailure(Exception):
    """The helper answered with an error, or overran; `kind` says which (see templates.py)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind  # invalid | unsafe | refused | failed | limit


# --- inside the child: the sandbox and its guards ---------------------------------------------


class _TemplateRaised(Exception):
    """The template called raise_exception() (usually: a role order it does not accept)."""


class _LimitExceeded(Exception):
    """The template asked for more than a chat prompt could ever need."""


def _raise_exception(message: str) -> None:
    raise _TemplateRaised(message)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _tojson(value: Any, indent: int | None = None, **_: Any) -> str:
    # Transformers' flavour: real UTF-8, no HTML escaping.
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _check_ints(values: Any) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT_ARGUMENT:
            raise _LimitExceeded(f"the number {value} is too large for a chat template")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d*|\*)(?:\.(\d*|\*))?")


def _check_percent_format(fmt: str, args: Any) -> None:
    """Refuse widths/precisions like '%0999999999d', or '%*d' given a huge width."""
    specs = _PERCENT_SPEC.findall(fmt)
    _check_ints(int(n) for spec in specs for n in spec if n.isdigit())
    if any("*" in spec for spec in specs):  # the width is one of the arguments
        _check_ints(args if isinstance(args, tuple) else (args,))


def _check_brace_format(fmt: str) -> None:
    """Refuse widths like '{:>999999999}' and widths computed at run time ('{:{w}}')."""
    try:
        specs = [spec for _, _, spec, _ in string.Formatter().parse(fmt) if spec]
    except ValueError:
        return  # str.format fails on it anyway
    if any("{" in spec for spec in specs):
        raise _LimitExceeded("computed format widths are not allowed in a chat template")
    _check_ints(int(n) for spec in specs for n in re.findall(r"\d+", spec))


def _is_str_format(func: Any) -> bool:
    """The sandbox's wrapper of a str.format/format_map (its format string is checked)."""
    method = getattr(func, "__wrapped__", None)
    return isinstance(getattr(method, "__self__", None), str) and method.__name__ in (
        "format",
        "format_map",
    )


def _checked_filter(func: Any) -> Any:
    skip = 2 if hasattr(func, "jinja_pass_arg") else 1  # the context/environment, the value

    @functools.wraps(func)  # keeps `jinja_pass_arg`
    def checked(*args: Any, **kwargs: Any) -> Any:
        if func.__name__ == "do_format":  # '%5d' | format(n): the arguments are values
            if isinstance(args[skip - 1], str):
                _check_percent_format(args[skip - 1], args[skip:])
        else:
            _check_ints(args[skip:])
            _check_ints(kwargs.values())
        return func(*args, **kwargs)

    return checked


_SEQUENCES = (str, list, tuple)


def _check_repeat(left: Any, right: Any) -> None:
    count, seq = (right, left) if isinstance(left, _SEQUENCES) else (left, right)
    if (
        isinstance(seq, _SEQUENCES)
        and isinstance(count, int)
        and len(seq) * count > MAX_PROMPT_CHARS
    ):
        raise _LimitExceeded("a repetition is too large for a chat template")


def _check_power(base: Any, exponent: Any) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int) and exponent > 0):
        return
    if abs(base) > 1 and abs(base).bit_length() * exponent > MAX_EXPONENT_BITS:
        raise _LimitExceeded("a power is too large for a chat template")


def _check_percent(left: Any, right: Any) -> None:
    if isinstance(left, str):
        _check_percent_format(left, right)


def _check_join(left: Any, right: Any) -> None:
    sequences = isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES)
    if sequences and len(left) + len(right) > MAX_PROMPT_CHARS:
        raise _LimitExceeded("a joined text is too large for a chat template")


_BINOP_CHECKS = {"*": _check_repeat, "**": _check_power, "%": _check_percent, "+": _check_join}


class _StrictSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, failing at the first unsafe attribute, with size guards."""

    intercepted_binops = frozenset(_BINOP_CHECKS)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe"
        )

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _BINOP_CHECKS[operator](left, right)
        return self.binop_table[operator](left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_str_format(__obj):  # its arguments are values to show, not sizes
            _check_ints(args)
            _check_ints(kwargs.values())
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            _check_brace_format(owner)
        return super().wrap_str_format(value)


def _sandbox() -> ImmutableSandboxedEnvironment:
    env = _StrictSandbox(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    env.filters["tojson"] = _tojson
    env.filters = {name: _checked_filter(f) for name, f in env.filters.items()}
    return env


def _limit_memory() -> None:
    try:
        import resource  # POSIX only: on Windows the wall-clock limit is the only bound
    except ImportError:
        return
    try:
        with open("/proc/self/statm") as statm:  # Linux: what the fresh child maps already
            mapped = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        mapped = 0
    limit = mapped + MEMORY_HEADROOM_BYTES
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):  # macOS does not enforce RLIMIT_AS; the timeout still holds
        pass


def _render(compiled: Any, context: dict[str, Any]) -> str:
    parts, size = [], 0
    for chunk in compiled.generate(**context):  # streamed, so a huge output stops early
        size += len(chunk)
        if size > MAX_PROMPT_CHARS:
            raise _LimitExceeded(f"the prompt grew past {MAX_PROMPT_CHARS} characters")
        parts.append(chunk)
    return "".join(parts)


def _answer(env: ImmutableSandboxedEnvironment, state: dict[str, Any], request: tuple) -> tuple:
    op, payload = request
    try:
        if op == "compile":
            try:
                state["compiled"] = env.from_string(payload)
            except (TemplateError, RecursionError) as exc:
                return ("error", "invalid", str(exc))
            return ("ok", None)
        return ("ok", _render(state["compiled"], payload))
    except SecurityError as exc:
        return ("error", "unsafe", str(exc))
    except _TemplateRaised as exc:
        return ("error", "refused", str(exc))
    except (_LimitExceeded, MemoryError) as exc:
        return ("error", "limit", str(exc) or "out of memory")
    except (TemplateError, TypeError, ValueError, AttributeError, LookupError,
            ArithmeticError, RecursionError) as exc:  # fmt: skip
        return ("error", "failed", f"{type(exc).__name__}: {exc}")


def serve(conn: Connection) -> None:
    """The child's loop: one request in, one answer out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    _limit_memory()
    env, state = _sandbox(), {}
    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_answer(env, state, request))


# --- in the app: the process that renders one template ----------------------------------------


class _Child:
    """The current helper process and its pipe; replaced after a failure."""

    def __init__(self) -> None:
        self.process: Any = None
        self.conn: Connection | None = None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=serve, args=(theirs,), name="enclave-template-sandbox", daemon=True
        )
        try:
            process.start()
        except (OSError, RuntimeError) as exc:  # no process could be made
            raise SandboxFailure("failed", f"its helper process could not start ({exc})") from exc
        finally:
            theirs.close()
        self.process, self.conn = process, ours
        self.ask(None, START_TIMEOUT_S)  # wait for "ready"

    def ask(self, request: tuple | None, timeout: float) -> tuple:
        """Send `request` (None: only wait) and return the answer, or stop the child."""
        assert self.conn is not None and self.process is not None
        try:
            if request is not None:
                self.conn.send(request)
            ready = wait([self.conn, self.process.sentinel], timeout)
            if self.conn in ready:
                return self.conn.recv()
        except (EOFError, OSError):
            ready = [self.process.sentinel]
        self.process.join(0.5 if ready else 0)  # a dead child's exit code, if it has one
        code = self.process.exitcode
        self.stop()
        if not ready:
            raise SandboxFailure("limit", f"it did not finish within {timeout:g} s")
        if request is None:
            raise SandboxFailure("failed", f"its helper process could not start (exit {code})")
        detail = f"its helper process ended (exit {code}), most likely out of memory"
        raise SandboxFailure("limit", detail)

    def stop(self) -> None:
        process, conn = self.process, self.conn
        self.process = self.conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return
        process.terminate()
        process.join(2)
        if process.exitcode is None:
            process.kill()
            process.join(5)
        if process.exitcode is not None:  # reaped: no zombie; close() frees the sentinel
            process.close()


class TemplateSandbox:
    """A compiled template in its helper process; `render` may be called from one thread."""

    def __init__(self, source: str, *, timeout_s: float = RENDER_TIMEOUT_S) -> None:
        self._source = source
        self._timeout = timeout_s
        self._lock = threading.Lock()
        self._child = _Child()
        # Stops the process when this object is dropped, closed, or the interpreter exits.
        self._finalizer = weakref.finalize(self, self._child.stop)
        try:
            with self._lock:
                self._ensure_started()
        except BaseException:
            self._finalizer()
            raise

    def _ensure_started(self) -> None:
        if self._child.process is not None and self._child.process.is_alive():
            return
        self._child.stop()
        self._child.start()
        self._call(("compile", self._source))

    def _call(self, request: tuple) -> Any:
        answer = self._child.ask(request, self._timeout)
        if answer[0] == "ok":
            return answer[1]
        _status, kind, detail = answer
        if kind == "limit":
            self._child.stop()  # after a MemoryError a fresh process is the safe choice
        raise SandboxFailure(kind, detail)

    def render(self, context: dict[str, Any]) -> str:
        if not self._finalizer.alive:
            raise SandboxFailure("failed", "the template was closed")
        with self._lock:
            self._ensure_started()
            return self._call(("render", context))

    def close(self) -> None:
        with self._lock:
            self._finalizer()
