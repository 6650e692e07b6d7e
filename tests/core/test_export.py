"""Export to Markdown / HTML / JSON, and the strict JSON import."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import export_json
from app.core.errors import EnclaveError
from app.core.export import (
    ImportFormatError,
    export_conversation,
    import_json,
    to_html,
    to_json,
    to_markdown,
)
from app.core.store import Store
from app.core.types import GenerationParams, GenerationStats

HOSTILE = '<script>alert("x")</script> <img src=x onerror="alert(1)"> [click](javascript:alert(1))'


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "db" / "enclave.sqlite3") as opened:
        yield opened


@pytest.fixture
def conversation(store: Store) -> int:
    """A conversation with Markdown, code, a regenerated answer and full metadata."""
    conv = store.create_conversation(system_prompt="Answer in French.", model="gemma-3-270m")
    store.add_message(conv.id, "user", "Write a *haiku* about rain")
    first = store.add_message(
        conv.id,
        "assistant",
        "Pluie sur le toit",
        model_name="gemma-3-270m",
        model_sha256="a" * 64,
        params=GenerationParams(seed=1),
        stats=GenerationStats(prompt_tokens=9, generated_tokens=5, decode_tokens_per_s=33.0),
    )
    store.add_sibling(
        first.id,
        "La pluie tombe\n\n```python\nprint('drip')\n```",
        status="partial",
        model_name="gemma-3-270m",
    )
    store.add_message(conv.id, "user", "Merci | table?\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    return conv.id


def test_markdown_has_title_roles_and_the_visible_branch(store: Store, conversation: int) -> None:
    text = export_conversation(store, conversation, "md")
    assert text.startswith("# Write a *haiku* about rain\n")
    assert "> **System prompt**" in text and "> Answer in French." in text
    assert "### You" in text and "### Assistant · gemma-3-270m" in text
    assert "```python\nprint('drip')\n```" in text
    assert "Pluie sur le toit" not in text  # the other branch is not the one on screen
    assert "*(interrupted: the reply is incomplete)*" in text


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_escapes_everything(store: Store) -> None:
    conv = store.create_conversation(title='<script>alert("title")</script>')
    store.add_message(conv.id, "user", HOSTILE)
    store.add_message(conv.id, "assistant", "**bold** and `<b>code</b>`", model_name="<i>m</i>")
    page = export_conversation(store, conv.id, "html")
    parser = TagCollector()
    parser.feed(page)
    tags = [tag for tag, _ in parser.tags]
    assert "script" not in tags and "img" not in tags and "i" not in tags
    for _, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs)
        assert not str(attrs.get("href", "")).lower().startswith("javascript")
    assert "&lt;script&gt;alert" in page
    assert "<strong>bold</strong>" in page and "<code>&lt;b&gt;code&lt;/b&gt;</code>" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_html_is_a_standalone_page(store: Store, conversation: int) -> None:
    page = export_conversation(store, conversation, "html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in page
    assert "<table>" in page and '<code class="language-python">' in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch


def test_json_round_trip_keeps_branches_and_metadata(
    store: Store, conversation: int, tmp_path: Path
) -> None:
    original = store.get_conversation(conversation)
    text = export_conversation(store, conversation, "json")
    document = json.loads(text)
    assert (document["format"], document["version"]) == ("enclave-conversation", 1)
    assert len(document["messages"]) == 4  # every branch

    with Store.open(tmp_path / "other" / "enclave.sqlite3") as other:
        imported = import_json(other, text)
        assert (imported.title, imported.system_prompt, imported.model) == (
            original.title,
            original.system_prompt,
            original.model,
        )
        assert imported.created_at == original.created_at
        fields = ("role", "content", "status", "model_name", "model_sha256", "params", "stats")
        fields += ("prompt_tokens", "generated_tokens", "tokens_per_s", "created_at")

        def shape(s: Store, cid: int) -> list[tuple[object, ...]]:
            return [tuple(getattr(m, f) for f in fields) for m in s.all_messages(cid)]

        assert shape(other, imported.id) == shape(store, conversation)
        path = other.active_path(imported.id)
        assert [m.content for m in path] == [m.content for m in store.active_path(conversation)]
        assert len(other.siblings(path[1].id)) == 2  # the regenerated answer is still there
        assert to_markdown(imported, path) == export_conversation(store, conversation, "md")
        assert other.search("pluie")[0].conversation_id == imported.id


def test_exporters_take_records_directly(store: Store, conversation: int) -> None:
    conv = store.get_conversation(conversation)
    path = store.active_path(conversation)
    assert to_markdown(conv, path) == export_conversation(store, conversation, "md")
    assert to_html(conv, path) == export_conversation(store, conversation, "html")
    assert json.loads(to_json(conv, path))["active_leaf_id"] == path[-1].id
    with pytest.raises(EnclaveError, match="Unknown export format"):
        export_conversation(store, conversation, "docx")


def test_import_accepts_a_plain_hand_written_file(store: Store) -> None:
    imported = import_json(
        store,
        {
            "format": "enclave-conversation",
            "version": 1,
            "conversation": {"title": "Notes", "created_at": "2024-02-03T04:05:06Z"},
            "messages": [
                {"role": "user", "content": "hi", "created_at": "2024-02-03T04:05:06"},
                {
                    "role": "assistant",
                    "content": "hello",
                    "created_at": "2024-02-03T04:05:07Z",
                    "status": "streaming",
                },
            ],
        },
    )
    path = store.active_path(imported.id)
    assert [(m.role, m.content, m.status) for m in path] == [
        ("user", "hi", "complete"),
        ("assistant", "hello", "partial"),
    ]
    assert path[1].parent_id == path[0].id


def valid_document() -> dict:
    return {
        "format": "enclave-conversation",
        "version": 1,
        "conversation": {"title": "t", "created_at": "2024-01-01T00:00:00Z"},
        "active_leaf_id": 2,
        "messages": [
            {
                "id": 1,
                "parent_id": None,
                "role": "user",
                "content": "a",
                "created_at": "2024-01-01T00:00:00Z",
            },
            {
                "id": 2,
                "parent_id": 1,
                "role": "assistant",
                "content": "b",
                "created_at": "2024-01-01T00:00:01Z",
            },
        ],
    }


def broken(change) -> dict:
    document = valid_document()
    change(document)
    return document


BAD_INPUTS = {
    "not json": "this is not JSON {",
    "not utf-8": b"\xff\xfe\x00garbage",
    "top-level list": "[1, 2, 3]",
    "wrong format": broken(lambda d: d.update(format="something-else")),
    "no version": broken(lambda d: d.pop("version")),
    "bool version": broken(lambda d: d.update(version=True)),
    "content not text": broken(lambda d: d["messages"][0].update(content=42)),
    "unknown role": broken(lambda d: d["messages"][0].update(role="root")),
    "unknown status": broken(lambda d: d["messages"][0].update(status="done")),
    "bad date": broken(lambda d: d["messages"][0].update(created_at="yesterday")),
    "date overflow": broken(
        lambda d: d["messages"][0].update(created_at="9999-12-31T23:59:59-05:00")
    ),
    "missing title": broken(lambda d: d["conversation"].pop("title")),
    "unknown field": broken(lambda d: d["messages"][0].update(path="/etc/passwd")),
    "unknown top field": broken(lambda d: d.update(attachments=["/etc/shadow"])),
    "messages not list": broken(lambda d: d.update(messages={"a": 1})),
    "parent after child": broken(lambda d: d["messages"].reverse()),
    "self parent": broken(lambda d: d["messages"][0].update(parent_id=1)),
    "duplicate id": broken(lambda d: d["messages"][1].update(id=1, parent_id=None)),
    "bool id": broken(lambda d: d["messages"][0].update(id=True)),
    "mixed ids": broken(lambda d: d["messages"][1].pop("id")),
    "dangling leaf": broken(lambda d: d.update(active_leaf_id=99)),
    "tokens as text": broken(lambda d: d["messages"][1].update(prompt_tokens="12")),
    "params not object": broken(lambda d: d["messages"][1].update(params=[1, 2])),
    "huge number": broken(lambda d: d["messages"][1].update(prompt_tokens=10**30)),
    "negative count": broken(lambda d: d["messages"][1].update(generated_tokens=-1)),
    "lone surrogate": '{"format": "enclave-conversation", "version": 1, "messages": [], '
    '"conversation": {"title": "\\ud800", "created_at": "2024-01-01T00:00:00Z"}}',
    "nan": '{"format": "enclave-conversation", "version": 1, "x": NaN}',
    "duplicate key": '{"format": "enclave-conversation", "format": "x", "version": 1}',
    "deep nesting": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("data", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_import_rejects_bad_input_clearly(store: Store, data: object) -> None:
    with pytest.raises(ImportFormatError) as caught:
        import_json(store, data if isinstance(data, str | bytes) else json.dumps(data))
    message = str(caught.value)
    assert message.startswith("This is not a valid Enclave conversation export: ")
    assert message.endswith(".") and "\n" not in message
    assert store.count_conversations(include_deleted=True) == 0


def test_import_names_a_newer_version(store: Store) -> None:
    with pytest.raises(ImportFormatError, match="format version 2; this Enclave reads version 1"):
        import_json(store, broken(lambda d: d.update(version=2)))


def test_import_refuses_oversized_input_before_parsing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_json, "MAX_IMPORT_BYTES", 1000)
    with pytest.raises(ImportFormatError, match="limited to"):
        import_json(store, json.dumps(valid_document()) + " " * 1000)
    assert store.count_conversations() == 0


def test_import_only_writes_to_the_store(store: Store, tmp_path: Path) -> None:
    before = sorted(p for p in tmp_path.rglob("*") if "db" not in p.parts)
    imported = import_json(store, json.dumps(valid_document()).encode())
    assert [m.content for m in store.active_path(imported.id)] == ["a", "b"]
    assert sorted(p for p in tmp_path.rglob("*") if "db" not in p.parts) == before


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELD_PATHS = [
    ("version",),
    ("conversation",),
    ("conversation", "title"),
    ("conversation", "created_at"),
    ("conversation", "pinned"),
    ("active_leaf_id",),
    ("messages",),
    ("messages", 0),
    ("messages", 1, "id"),
    ("messages", 1, "parent_id"),
    ("messages", 1, "content"),
    ("messages", 1, "status"),
    ("messages", 1, "params"),
    ("messages", 0, "tokens_per_s"),
]


@pytest.fixture(scope="module")
def memory_store():
    with Store.open(None, history_enabled=False) as store:
        yield store


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(FIELD_PATHS), value=JSON_VALUES)
def test_import_of_mutated_documents_only_fails_clearly(
    memory_store: Store, where: tuple, value: object
) -> None:
    document = valid_document()
    target = document
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    before = memory_store.count_conversations(include_deleted=True)
    try:
        imported = import_json(memory_store, json.dumps(document))
    except ImportFormatError:
        assert memory_store.count_conversations(include_deleted=True) == before
    else:
        assert memory_store.get_conversation(imported.id).id == imported.id
