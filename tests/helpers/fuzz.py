"""Shared pieces of the fuzz tests: settings, byte mutations, and what a "clear error" is.

Every fuzz test calls the code under test and lets only `EnclaveError`s through (checked with
`assert_clear`); any other exception fails the test and Hypothesis shrinks it to the smallest
input that still fails. Examples are derandomized so CI is reproducible; set
`ENCLAVE_FUZZ_SCALE=N` to run N times as many examples, and `ENCLAVE_FUZZ_RANDOM=1` to explore
new ones instead of the fixed sequence.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.core.errors import EnclaveError

_SCALE = max(1, int(os.environ.get("ENCLAVE_FUZZ_SCALE", "1") or 1))
_RANDOM = os.environ.get("ENCLAVE_FUZZ_RANDOM") == "1"


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples * _SCALE,
        deadline=None,
        derandomize=not _RANDOM,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


def assert_clear(exc: BaseException) -> str:
    """An error meant for a person: an EnclaveError with one non-empty line, no traceback."""
    assert isinstance(exc, EnclaveError), f"{type(exc).__name__} is not an EnclaveError: {exc!r}"
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} has an empty message"
    assert "Traceback" not in message
    assert "\n" not in message, f"the message is not one line: {message!r}"
    assert len(message) < 2000, f"the message is {len(message)} characters long"
    return message


# -- byte mutations ---------------------------------------------------------------------------
@st.composite
def mutated(draw: st.DrawFn, seed: bytes, max_ops: int = 4) -> bytes:
    """`seed` with a few random edits: flipped bytes, overwritten runs, insertions, a cut."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_ops))):
        if not data:
            break
        op = draw(st.sampled_from(("flip", "overwrite", "insert", "cut", "interesting")))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(chunk)] = chunk
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "cut":
            del data[at:]
        else:  # values that break length and count fields
            value = draw(st.sampled_from((0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 2**31 - 1)))
            width = draw(st.sampled_from((1, 2, 4, 8)))
            data[at : at + width] = (value % (1 << (8 * width))).to_bytes(width, "little")
    return bytes(data)


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(members: dict[str, bytes]) -> bytes:
    """A well-formed zip (right CRCs) of the given members: the parsers inside get the damage."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@st.composite
def mutated_zip(draw: st.DrawFn, seed: bytes) -> bytes:
    """A valid archive whose members (the XML inside an Office file) are damaged."""
    members = zip_members(seed)
    names = sorted(members)
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        members[name] = draw(mutated(members[name]))
    if draw(st.booleans()) and len(names) > 1:
        members.pop(draw(st.sampled_from(names)))
    return rezip(members)


def keep_finding(path: Path, data: bytes) -> Path:
    """Save an input that broke a reader, so it can become a fixture in tests/fixtures/hostile."""
    folder = Path(os.environ.get("ENCLAVE_FUZZ_FINDINGS", tempfile.gettempdir())) / "enclave-fuzz"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:12]
    kept = folder / f"{digest}{path.suffix}"
    kept.write_bytes(data)
    return kept
