"""`enclave self-test` as a fleet check: a damaged model file is reported, not loaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.core.default_model import DEFAULT_MODEL_FILE, DEFAULT_MODEL_SHA256
from tests.helpers.cli import enclave

pytestmark = pytest.mark.model


def test_a_damaged_default_model_fails_the_model_file_check(
    tmp_path: Path, model_path: Path
) -> None:
    damaged = tmp_path / "data" / "models" / DEFAULT_MODEL_FILE
    damaged.parent.mkdir(parents=True)
    shutil.copyfile(model_path, damaged)
    with damaged.open("r+b") as fh:  # one flipped byte in the last tensor: same size, other hash
        fh.seek(-1000, 2)
        byte = fh.read(1)
        fh.seek(-1000, 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    result = enclave("self-test", "--json", data_dir=tmp_path / "data")
    assert result.code == 1
    report = json.loads(result.out)
    check = next(c for c in report["checks"] if c["name"] == "model file")
    assert not check["ok"] and "damaged" in check["detail"]
    assert report["model"]["sha256"] != DEFAULT_MODEL_SHA256
    assert "model load" not in {c["name"] for c in report["checks"]}, "a damaged model was loaded"
