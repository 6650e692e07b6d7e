"""Every hostile input kept in tests/fixtures/hostile gives one clear error, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config.policy import load_policy
from app.core.documents.extract import extract
from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError, PolicyError
from app.core.templates import ChatTemplateError, select_template
from app.core.types import ChatMessage
from tests.helpers.cli import assert_one_clear_line, enclave
from tests.helpers.fuzz import assert_clear

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"


def files(folder: str) -> list[Path]:
    found = sorted(p for p in (HOSTILE / folder).iterdir() if p.is_file())
    assert found, f"no hostile {folder} fixtures"
    return found


@pytest.mark.parametrize("path", files("documents"), ids=lambda p: p.name)
def test_hostile_documents_are_refused_clearly(path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        extract(path, DocumentLimits(max_file_mb=2, max_pages=200, max_chars=200_000))
    assert path.name in assert_clear(caught.value)


@pytest.mark.parametrize("path", files("policy"), ids=lambda p: p.name)
def test_hostile_policies_are_refused_clearly(path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(path) in assert_clear(caught.value)


def test_a_policy_setting_of_the_wrong_type_stops_the_program_at_start(tmp_path: Path) -> None:
    policy = HOSTILE / "policy" / "setting-of-wrong-type.toml"
    result = enclave("chat", "--max-tokens", "2", "hi", data_dir=tmp_path / "d", policy=policy)
    line = assert_one_clear_line(result)
    assert "threads must be a whole number" in line and "unexpected" not in line


@pytest.mark.parametrize("path", files("templates"), ids=lambda p: p.name)
def test_hostile_chat_templates_are_refused_clearly(path: Path, tmp_path: Path) -> None:
    marker = Path("/tmp/enclave-template-ran")
    existed = marker.exists()
    with pytest.raises(ChatTemplateError) as caught:
        template = select_template(architecture="llama", embedded=path.read_text("utf-8"))
        template.render([ChatMessage("system", "s"), ChatMessage("user", "hello")])
    assert_clear(caught.value)
    assert marker.exists() == existed, "the template ran a command"
