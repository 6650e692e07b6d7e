"""Conversations with distinctive words, and a byte search over everything under a directory.

Each conversation's words are rare enough that finding one anywhere on disk means its text (or
its full-text index entry) survived. `forms` gives the spellings FTS5 stores: its tokenizer
folds case and, with remove_diacritics, accents.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from app.core.store import NewChunk, Store

WORDS = {
    "alpha": ("Quetzalcoatlus", "Brünnhildeweg", "xylophonique"),
    "beta": ("Zanzibarquartz", "Ørestadvikings", "polyglotteria"),
    "gamma": ("Kilimanjarovox", "Éléphantaisie", "thundersnowfall"),
}


@dataclass(frozen=True)
class Filled:
    ids: dict[str, int]  # name -> conversation id
    documents: dict[str, int]  # name -> document id


def fill(store: Store) -> Filled:
    ids, documents = {}, {}
    for name, (w1, w2, w3) in WORDS.items():
        conv = store.create_conversation(title=f"About {w1}")
        store.add_message(conv.id, "user", f"Tell me about {w1} and {w2}.")
        store.add_message(conv.id, "assistant", f"{w2} is near {w3}; {w1} too.")
        doc = store.add_document(
            conv.id, name=f"{name}.txt", sha256=name[0] * 64, size_bytes=10, text=f"{w3} {w1}"
        )
        store.add_chunks(doc.id, [NewChunk(f"chunk on {w3}", 1, 1), NewChunk(f"{w2} page", 2, 2)])
        ids[name], documents[name] = conv.id, doc.id
    return Filled(ids, documents)


def forms(word: str) -> set[bytes]:
    """The word as typed, lower-cased, and accent-stripped (FTS5 remove_diacritics)."""
    folded = "".join(
        c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c)
    )
    variants = {word, word.lower(), folded, unicodedata.normalize("NFD", word)}
    return {v.encode("utf-8") for v in variants} | {v.encode("utf-16-le") for v in variants}


def files_holding(directory: Path, words: tuple[str, ...]) -> dict[str, list[str]]:
    """Every file under `directory` (db, -wal, -shm, logs, audit, settings…) holding a word."""
    found: dict[str, list[str]] = {}
    needles = {word: forms(word) for word in words}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for word, variants in needles.items():
            if any(v in data for v in variants):
                found.setdefault(word, []).append(str(path.relative_to(directory)))
    return found


def snapshot(store: Store) -> dict:
    """Everything a user sees: conversations, messages, search hits, documents and chunks."""
    out: dict = {}
    for conv in sorted(store.list_conversations(), key=lambda c: c.id):
        docs = store.documents(conv.id)
        out[conv.title] = {
            "messages": [(m.role, m.content) for m in store.active_path(conv.id)],
            "documents": [
                (d.name, store.get_document(d.id).text, [c.text for c in store.chunks(d.id)])
                for d in docs
            ],
        }
    for words in WORDS.values():
        for word in words:
            out[f"search:{word}"] = sorted(h.message_id for h in store.search(word))
            out[f"chunks:{word}"] = sorted(h.chunk_id for h in store.search_chunks(word))
    return out
