"""Two real models: a conversation keeps its own model, from the command line and the window.

Model B is the bundled Gemma with another name and an embedded Jinja chat template that marks
every turn with "[B]", so the prompt B receives shows whether B's own template rendered it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from app.core.chat import ConversationService
from app.core.config.runtime import Runtime
from app.core.default_model import DEFAULT_MODEL_SHA256
from tests.helpers.cli import enclave
from tests.helpers.gguf_edit import copy_with_metadata

B_TEMPLATE = (
    "{% for m in messages %}<start_of_turn>"
    "{{ 'model' if m['role'] == 'assistant' else 'user' }}\n[B] {{ m['content'] }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


@pytest.fixture(scope="module")
def model_b(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = copy_with_metadata(
        model_path,
        tmp_path_factory.mktemp("model-b") / "model-b.gguf",
        {"general.name": "Model B", "tokenizer.chat_template": B_TEMPLATE},
    )
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def replies(data: Path, conversation_id: int) -> list[tuple[str, str]]:
    with sqlite3.connect(data / "enclave.sqlite3") as con:
        return con.execute(
            "SELECT model_name, model_sha256 FROM messages WHERE conversation_id = ? "
            "AND role = 'assistant' ORDER BY id",
            (conversation_id,),
        ).fetchall()


def conversation_model(data: Path, conversation_id: int) -> tuple[str, str]:
    with sqlite3.connect(data / "enclave.sqlite3") as con:
        return con.execute(
            "SELECT model_name, model_sha256 FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()


def test_continue_without_m_is_answered_by_the_conversations_own_model(
    tmp_path: Path, model_b: tuple[Path, str]
) -> None:
    path_b, sha_b = model_b
    data = tmp_path / "data"
    common = ("--max-tokens", "4", "--seed", "1")
    first = enclave("chat", "-m", path_b, *common, "Hello", data_dir=data)
    assert first.code == 0, first.err
    other = enclave("chat", *common, "Hi", data_dir=data)  # a second conversation, default model
    assert other.code == 0, other.err
    again = enclave("chat", "--continue", "1", *common, "And then?", data_dir=data)
    assert again.code == 0, again.err
    assert "Model B" in again.err  # the summary line names the model that answered
    assert [sha for _name, sha in replies(data, 1)] == [sha_b, sha_b]
    assert conversation_model(data, 1) == ("Model B", sha_b)
    assert [sha for _name, sha in replies(data, 2)] == [DEFAULT_MODEL_SHA256]


def test_the_prompt_of_a_continued_conversation_is_rendered_with_its_models_template(
    tmp_path: Path, model_b: tuple[Path, str]
) -> None:
    from app.core.engine import LocalEngine

    path_b, sha_b = model_b
    runtime = Runtime.create(tmp_path / "data")
    runtime.settings.update(context_size=512, threads=2)
    store = runtime.open_store()
    engine = LocalEngine()
    try:
        service = ConversationService(runtime, store)
        params = {"max_tokens": 3}
        first = service.run(
            service.prepare("Hello", model=str(path_b), overrides=params, seed=1), engine
        )
        engine.unload()  # as after a restart: nothing loaded
        turn = service.prepare("And then?", first.turn.conversation_id, overrides=params, seed=1)
        result = service.run(turn, engine)
        assert result.model.sha256 == sha_b and result.record.model_sha256 == sha_b
        assert engine.info.chat_template_source == "gguf"
        prompt = engine.detokenize(engine.cached_tokens)
        assert prompt.count("[B] ") == 3  # Hello, its answer, And then?
    finally:
        engine.unload()
        store.close()


def test_a_renamed_model_answers_under_the_users_name(
    tmp_path: Path, model_b: tuple[Path, str]
) -> None:
    from app.core.engine import LocalEngine
    from app.core.models.manager import ModelManager

    runtime = Runtime.create(tmp_path / "data")
    runtime.settings.update(context_size=512, threads=2)
    manager = ModelManager(runtime)
    added = manager.import_file(model_b[0], placement="symlink").model
    manager.rename(added.id, "Our team's model")
    store = runtime.open_store()
    engine = LocalEngine()
    try:
        service = ConversationService(runtime, store)
        turn = service.prepare("Hello", model=added.id, overrides={"max_tokens": 2}, seed=1)
        result = service.run(turn, engine)
        assert result.record.model_name == "Our team's model"
        assert store.get_conversation(turn.conversation_id).model_name == "Our team's model"
    finally:
        engine.unload()
        store.close()
