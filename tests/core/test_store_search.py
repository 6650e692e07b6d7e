"""Full-text search (FTS5) over messages and document chunks, on real SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.store import MARK_END, MARK_START, NewChunk, Store
from app.core.store.search import build_match

HOSTILE_QUERIES = [
    '"',
    '""',
    '"unbalanced',
    "*",
    "**",
    "AND",
    "OR",
    "NOT",
    "a AND",
    "OR b",
    "NOT NOT",
    "(",
    ")",
    "((a)",
    "-",
    "-foo",
    "foo -bar",
    "NEAR(a b, 2)",
    "content:secret",
    "^start",
    "'; DROP TABLE messages; --",
    "\\",
    "%",
    "_",
    "a\x00b",
    "🙂",
    "   ",
    "",
    "{a b}",
    "a + b",
    "x" * 5000,
]


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "enclave.sqlite3") as opened:
        yield opened


def test_finds_a_word_in_an_old_message_among_many(store: Store) -> None:
    first = store.create_conversation(title="Early days")
    store.add_message(first.id, "user", "Where did I put the xylophone mallets last winter?")
    planted = store.add_message(first.id, "assistant", "In the attic, next to the xylophone.")
    for n in range(150):
        conv = store.create_conversation()
        store.add_message(conv.id, "user", f"Question {n} about gardening and tomatoes")
        store.add_message(conv.id, "assistant", f"Answer {n}: water the tomatoes in the evening")
    hits = store.search("xylophone")
    assert {h.message_id for h in hits} == {planted.id, planted.parent_id}
    hit = next(h for h in hits if h.message_id == planted.id)
    assert hit.conversation_id == first.id and hit.conversation_title == "Early days"
    assert hit.role == "assistant"
    assert f"{MARK_START}xylophone{MARK_END}" in hit.snippet
    assert hit.snippet_text == "In the attic, next to the xylophone."
    assert "<b>xylophone</b>" in hit.snippet_html()
    assert len(store.search("tomatoes", limit=7)) == 7


def test_search_as_you_type_and_accents(store: Store) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "L'éléphant mange des bananes")
    store.add_message(conv.id, "assistant", "An elephant eats bananas")
    assert len(store.search("elephant")) == 2  # diacritics folded both ways
    assert len(store.search("ÉLÉPH")) == 2  # prefix of the last word while typing
    assert len(store.search("banan")) == 2
    assert store.search("banan ") == []  # a trailing space means the word is complete
    assert len(store.search("l'éléphant")) == 1  # punctuation inside a word is a phrase


def test_ranking_puts_the_best_match_first(store: Store) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "kettle " + "filler words here " * 30)
    best = store.add_message(conv.id, "user", "kettle kettle kettle")
    hits = store.search("kettle")
    assert hits[0].message_id == best.id
    assert hits[0].rank <= hits[1].rank


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_never_raise(store: Store, query: str) -> None:
    conv = store.create_conversation(title="50% off_sale")
    store.add_message(conv.id, "user", "foo bar secret content start and or not")
    hits = store.search(query)
    listed = store.list_conversations(query)
    assert isinstance(hits, list) and isinstance(listed, list)
    match = build_match(query)
    assert match is None or match.count('"') % 2 == 0


def test_operator_words_are_searched_as_words(store: Store) -> None:
    conv = store.create_conversation()
    message = store.add_message(conv.id, "user", "salt and pepper, not sugar")
    assert [h.message_id for h in store.search("and")] == [message.id]
    assert [h.message_id for h in store.search("NOT sugar")] == [message.id]
    assert store.search("pepper -sugar") != []  # '-' is not an exclusion operator here


def test_sidebar_filter_matches_titles_and_messages(store: Store) -> None:
    by_title = store.create_conversation(title="Recipes 100% vegan")
    by_text = store.create_conversation(title="Misc")
    store.add_message(by_text.id, "user", "a vegan lasagna please")
    other = store.create_conversation(title="Taxes")
    store.add_message(other.id, "user", "deadline in april")
    assert {c.id for c in store.list_conversations("vegan")} == {by_title.id, by_text.id}
    assert [c.id for c in store.list_conversations("100%")] == [by_title.id]
    assert store.list_conversations("_") == []  # LIKE wildcards are literal characters
    assert [c.id for c in store.list_conversations("APRIL")] == [other.id]
    assert store.list_conversations("nothing-like-this") == []
    assert len(store.list_conversations("  ")) == 3


def test_edited_content_is_reindexed(store: Store) -> None:
    conv = store.create_conversation()
    message = store.add_message(conv.id, "assistant", "walrus")
    store.update_message(message.id, content="narwhal")
    assert store.search("walrus") == []
    assert [h.message_id for h in store.search("narwhal")] == [message.id]
    assert store.integrity_check() == []


def test_chunks_search_with_pages_and_filters(store: Store) -> None:
    conv = store.create_conversation(title="Report")
    report = store.add_document(
        conv.id,
        name="report.pdf",
        path="/home/me/report.pdf",
        sha256="b" * 64,
        size_bytes=12345,
        pages=3,
        language="en",
        text="full extracted text",
    )
    added = store.add_chunks(
        report.id,
        [
            NewChunk("The budget grew by 12 percent in 2024.", 1, 1, 12),
            {
                "text": "Staff turnover fell; the budget stayed flat.",
                "page_start": 2,
                "page_end": 3,
                "tokens": 11,
            },
            NewChunk("Appendix: glossary of terms.", 3, 3, 6),
        ],
    )
    assert added == 3
    other = store.add_document(None, name="notes.txt", sha256="c" * 64, size_bytes=10)
    store.add_chunks(other.id, [NewChunk("budget budget budget", None, None, 3)])

    hits = store.search_chunks("How did the budget change, in percent?", conversation_id=conv.id)
    assert [h.document_name for h in hits] == ["report.pdf", "report.pdf"]
    assert hits[0].page_start == 1 and hits[0].idx == 0 and "12 percent" in hits[0].text
    assert (hits[1].page_start, hits[1].page_end) == (2, 3)
    only_notes = store.search_chunks("budget", document_ids=[other.id])
    assert [h.document_id for h in only_notes] == [other.id]
    assert store.search_chunks("budget", document_ids=[]) == []
    assert store.search_chunks("((*", conversation_id=conv.id) == []

    assert [d.name for d in store.documents(conv.id)] == ["report.pdf"]
    assert store.documents(conv.id)[0].text is None  # the list does not load the text
    assert store.get_document(report.id).text == "full extracted text"
    assert [c.idx for c in store.chunks(report.id)] == [0, 1, 2]
    assert store.add_chunks(report.id, [NewChunk("later chunk")]) == 1
    assert store.chunks(report.id)[-1].idx == 3

    store.delete_conversation(conv.id)
    store.purge_deleted()
    assert [h.document_id for h in store.search_chunks("budget")] == [other.id]
    assert store.integrity_check() == []


def test_very_common_words_rank_only_the_newest_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.store import search

    conv = store.create_conversation(title="many")
    ids = [store.add_message(conv.id, "user", f"common word number {n}").id for n in range(10)]
    assert len(store.search("common")) == 10
    monkeypatch.setattr(search, "SEARCH_WINDOW", 4)
    assert {h.message_id for h in store.search("common")} == set(ids[-4:])
    monkeypatch.setattr(search, "FILTER_WINDOW", 1)
    old = store.create_conversation(title="old")
    store.add_message(old.id, "user", "rare marmot")
    store.add_message(conv.id, "user", "marmot again")
    assert [c.id for c in store.list_conversations("marmot")] == [conv.id]


def test_deleted_conversations_leave_the_hits_and_the_limit_is_still_filled(store: Store) -> None:
    live = store.create_conversation(title="live")
    gone = store.create_conversation(title="gone")
    # The deleted conversation holds the best matches (the word repeated, short messages).
    for _ in range(6):
        store.add_message(gone.id, "user", "heron heron heron")
    kept = [
        store.add_message(live.id, "user", f"a long message about a heron, number {n}").id
        for n in range(6)
    ]
    assert len(store.search("heron", limit=3)) == 3
    store.delete_conversation(gone.id)  # still in its Undo window: hidden, not erased
    hits = store.search("heron", limit=4)
    assert len(hits) == 4 and {h.message_id for h in hits} <= set(kept)
    assert all(h.conversation_id == live.id and h.conversation_title == "live" for h in hits)
    assert all(f"{MARK_START}heron{MARK_END}" in h.snippet for h in hits)
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    store.restore_conversation(gone.id)
    assert {h.conversation_id for h in store.search("heron", limit=4)} == {gone.id}
