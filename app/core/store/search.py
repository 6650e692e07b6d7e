"""Full-text search over messages and document chunks (SQLite FTS5, bm25 ranking).

What a person types is never passed to FTS5 as syntax: it is cut into words, each
whitespace-separated piece becomes a quoted phrase, so quotes, `*`, `AND`, `NEAR`, parentheses
and `-` are plain text and can never raise a syntax error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import Integer, bindparam, column, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from app.core.store.records import MARK_END, MARK_START, ChunkHit, SearchHit

_WORD = re.compile(r"[^\W_]+")
SNIPPET_TOKENS = 12
# Ranking every match of a word found in most messages ("the", "le") costs ~3 µs a row: seconds
# at a million messages. So bm25 ranks the newest SEARCH_WINDOW matches (all of them for any
# word that is not that common), and the sidebar filter looks at the newest FILTER_WINDOW ones.
# FTS5 walks its index newest-first without ranking, so both stay fast at any history size.
SEARCH_WINDOW = 5_000
FILTER_WINDOW = 20_000


def build_match(query: str, *, prefix_last: bool = True, any_term: bool = False) -> str | None:
    """An FTS5 MATCH expression for typed text, or None when it holds no searchable word.

    prefix_last: the last word also matches longer words (search as you type), unless the
    query ends with a space. any_term: OR the words (retrieval) instead of AND (search).
    """
    query = unicodedata.normalize("NFC", query)
    phrases = []
    for piece in query.split():
        words = _WORD.findall(piece)
        if words:
            phrases.append('"' + " ".join(words) + '"')
    if not phrases:
        return None
    if prefix_last and not query[-1].isspace():
        phrases[-1] += "*"
    return (" OR " if any_term else " ").join(phrases)


def matching_conversation_ids(match: str) -> TextClause:
    """SELECT of the conversation ids with a message matching `match` (for IN filters)."""
    return (
        text(
            "SELECT m.conversation_id FROM ("
            "  SELECT rowid AS id FROM messages_fts WHERE messages_fts MATCH :match"
            "  ORDER BY rowid DESC LIMIT :filter_window"
            ") AS hits JOIN messages AS m ON m.id = hits.id"
        )
        .bindparams(match=match, filter_window=FILTER_WINDOW)
        .columns(column("conversation_id", Integer))
    )


# Each step is MATERIALIZED and joined with CROSS JOIN, which fixes SQLite's join order: left to
# choose, SQLite 3.53 (sqlcipher3's) started from the live conversations and walked every message
# (100-250 ms at a million messages, even for a rare word). `candidates`: the newest matches,
# ranked by bm25. `hidden`: the messages of conversations deleted but still in their Undo window
# (few), left out before the best `limit` are chosen, so only those few rows are looked up in
# `messages`. `snips`: FTS5 makes their snippets in one pass over the rowid range they span
# (`+rowid IN` only filters); seeking each row by rowid instead re-reads the term's whole doclist,
# and re-expands a prefix, once per row.
_SEARCH_SQL = text(
    "WITH candidates AS MATERIALIZED ("
    "  SELECT rowid AS id, rank AS rank FROM messages_fts WHERE messages_fts MATCH :match"
    "  ORDER BY rowid DESC LIMIT :window"
    "), hidden AS MATERIALIZED ("
    "  SELECT m.id AS id FROM conversations AS c CROSS JOIN messages AS m"
    "  ON m.conversation_id = c.id WHERE c.deleted_at IS NOT NULL"
    "), best AS MATERIALIZED ("
    "  SELECT cand.id AS id, cand.rank AS rank FROM candidates AS cand"
    "  WHERE cand.id NOT IN hidden ORDER BY cand.rank, cand.id DESC LIMIT :limit"
    "), snips AS MATERIALIZED ("
    f"  SELECT rowid AS id, snippet(messages_fts, 0, :ms, :me, '…', {SNIPPET_TOKENS}) AS snip"
    "  FROM messages_fts WHERE messages_fts MATCH :match"
    "  AND rowid >= (SELECT min(id) FROM best) AND rowid <= (SELECT max(id) FROM best)"
    "  AND +rowid IN (SELECT id FROM best)"
    ") "
    "SELECT best.id, m.conversation_id, c.title, m.role, snips.snip, best.rank "
    "FROM best CROSS JOIN messages AS m ON m.id = best.id "
    "CROSS JOIN conversations AS c ON c.id = m.conversation_id "
    "LEFT JOIN snips ON snips.id = best.id ORDER BY best.rank, best.id DESC"
)


def search_messages(session: Session, query: str, limit: int) -> list[SearchHit]:
    match = build_match(query)
    if match is None or limit <= 0:
        return []
    params = {"match": match, "ms": MARK_START, "me": MARK_END, "limit": limit}
    rows = session.execute(_SEARCH_SQL, {**params, "window": SEARCH_WINDOW})
    return [
        SearchHit(
            conversation_id=row.conversation_id,
            conversation_title=row.title,
            message_id=row.id,
            role=row.role,
            snippet=row.snip or "",
            rank=float(row.rank),
        )
        for row in rows
    ]


def search_chunks(
    session: Session,
    query: str,
    *,
    document_ids: Sequence[int] | None,
    conversation_id: int | None,
    limit: int,
) -> list[ChunkHit]:
    """The chunks that best match any of the query's words (bm25), with page spans."""
    match = build_match(query, prefix_last=False, any_term=True)
    if match is None or limit <= 0 or (document_ids is not None and not document_ids):
        return []
    where = ["chunks_fts MATCH :match"]
    params: dict[str, object] = {"match": match, "ms": MARK_START, "me": MARK_END, "limit": limit}
    if document_ids is not None:
        where.append("ch.document_id IN :document_ids")
        params["document_ids"] = [int(d) for d in document_ids]
    if conversation_id is not None:
        where.append("d.conversation_id = :conversation_id")
        params["conversation_id"] = conversation_id
    stmt = text(
        "SELECT ch.id, ch.document_id, d.name, ch.idx, ch.text, ch.page_start, ch.page_end, "
        f"snippet(chunks_fts, 0, :ms, :me, '…', {SNIPPET_TOKENS * 2}) AS snip, "
        "chunks_fts.rank AS rank "
        "FROM chunks_fts "
        "JOIN chunks AS ch ON ch.id = chunks_fts.rowid "
        "JOIN documents AS d ON d.id = ch.document_id "
        f"WHERE {' AND '.join(where)} "
        "ORDER BY chunks_fts.rank LIMIT :limit"
    )
    if document_ids is not None:
        stmt = stmt.bindparams(bindparam("document_ids", expanding=True))
    return [
        ChunkHit(
            chunk_id=row.id,
            document_id=row.document_id,
            document_name=row.name,
            idx=row.idx,
            text=row.text,
            page_start=row.page_start,
            page_end=row.page_end,
            snippet=row.snip or "",
            rank=float(row.rank),
        )
        for row in session.execute(stmt, params)
    ]
