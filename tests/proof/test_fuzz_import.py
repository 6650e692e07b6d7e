"""Fuzzing the JSON import: damaged exports are refused clearly and leave the store unchanged.

The seed is a real export of a conversation with branches, statuses, Markdown and metadata.
It is damaged as bytes (reaching the JSON reader) and as structure (messages dropped,
duplicated or shuffled, fields set to values of every JSON type). An accepted import must
be whole: exported again and re-imported, it gives the same messages.
"""

from __future__ import annotations

import copy
import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import EnclaveError
from app.core.export import import_json, to_json
from app.core.store import Store
from app.core.types import GenerationParams, GenerationStats
from tests.helpers.fuzz import assert_clear, fuzz_settings, mutated


@functools.cache
def seed_export() -> str:
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "seed.sqlite3") as s:
        conv = s.create_conversation(system_prompt="Réponds en français.", model="gemma")
        s.add_message(conv.id, "user", "Écris un *haïku* <b>sur</b> la pluie")
        first = s.add_message(
            conv.id, "assistant", "Pluie sur le toit", model_name="gemma", model_sha256="a" * 64,
            params=GenerationParams(seed=3),
            stats=GenerationStats(prompt_tokens=9, generated_tokens=5, decode_tokens_per_s=30.5),
        )  # fmt: skip
        s.add_sibling(first.id, "La pluie tombe\n\n```py\nprint('drip')\n```", status="partial")
        s.add_message(conv.id, "user", "| a | b |\n|---|---|\n| 1 | 2 |")
        s.add_message(conv.id, "assistant", "", status="cancelled")
        return to_json(s.get_conversation(conv.id), s.all_messages(conv.id))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
MESSAGE_KEYS = ["id", "parent_id", "role", "content", "status", "created_at", "params", "stats",
                "prompt_tokens", "tokens_per_s", "model_sha256", "updated_at"]  # fmt: skip


@st.composite
def restructured(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(json.loads(seed_export()))
    messages = document["messages"]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("drop", "duplicate", "swap", "field", "delete", "top")))
        if op == "top":
            key = draw(st.sampled_from(["version", "active_leaf_id", "conversation", "format"]))
            document[key] = draw(JSON_VALUES)
            continue
        if not messages:
            break
        i = draw(st.integers(0, len(messages) - 1))
        if op == "drop":
            messages.pop(i)
        elif op == "duplicate":
            messages.insert(draw(st.integers(0, len(messages))), copy.deepcopy(messages[i]))
        elif op == "swap":
            j = draw(st.integers(0, len(messages) - 1))
            messages[i], messages[j] = messages[j], messages[i]
        elif op == "field":
            messages[i][draw(st.sampled_from(MESSAGE_KEYS))] = draw(JSON_VALUES)
        else:
            messages[i].pop(draw(st.sampled_from(MESSAGE_KEYS)), None)
    return document


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    """A real database file; each example checks that a refusal left it as it was."""
    with Store.open(tmp_path_factory.mktemp("import-fuzz") / "enclave.sqlite3") as opened:
        yield opened


def import_whole_or_refuse(store: Store, data: str | bytes) -> None:
    before = store.count_conversations(include_deleted=True)
    try:
        conversation = import_json(store, data)
    except EnclaveError as exc:
        assert_clear(exc)
        assert store.count_conversations(include_deleted=True) == before, "a refusal wrote"
        return
    messages = store.all_messages(conversation.id)
    again = import_json(store, to_json(store.get_conversation(conversation.id), messages))
    copies = store.all_messages(again.id)
    assert [(m.role, m.content, m.status) for m in copies] == [
        (m.role, m.content, m.status) for m in messages
    ]
    assert [m.content for m in store.active_path(again.id)] == [
        m.content for m in store.active_path(conversation.id)
    ]


def test_the_seed_imports(store: Store) -> None:
    conversation = import_json(store, seed_export())
    assert len(store.all_messages(conversation.id)) == 5
    assert store.active_path(conversation.id)[-1].status == "cancelled"


@fuzz_settings(examples=250)
@given(data=mutated(seed_export().encode("utf-8"), max_ops=3))
def test_damaged_bytes_are_refused_clearly(store: Store, data: bytes) -> None:
    import_whole_or_refuse(store, data)


@fuzz_settings(examples=250)
@given(document=restructured())
def test_restructured_exports_import_whole_or_not_at_all(store: Store, document: dict) -> None:
    import_whole_or_refuse(store, json.dumps(document))
