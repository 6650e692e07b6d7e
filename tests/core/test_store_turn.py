"""A turn is stored in one transaction: the question, its empty reply, and the active path the
history and the window use (read once); the warm-up that compiles it leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from app.core.chat import ConversationService
from app.core.chat.history import history_for
from app.core.errors import EnclaveError
from app.core.store import Store
from app.core.store.records import DeletedError


@pytest.fixture
def service(placeholder_service: ConversationService) -> ConversationService:
    return placeholder_service


def sql_log(store: Store) -> list[str]:
    """Every statement the store sends to SQLite from now on (BEGIN included)."""
    statements: list[str] = []
    event.listen(
        store.engine, "before_cursor_execute", lambda *args: statements.append(args[2].strip())
    )
    return statements


def writes(statements: list[str]) -> int:
    return sum(s.startswith("BEGIN IMMEDIATE") for s in statements)


def test_a_new_question_and_its_reply_are_one_transaction_and_the_path_is_not_read_again(
    service: ConversationService,
) -> None:
    store = service.store
    statements = sql_log(store)
    turn = service.prepare("Bonjour", system_prompt="Be brief.")
    assert writes(statements) == 1
    assert not any("RECURSIVE" in s for s in statements)  # a new conversation: nothing to read
    assert list(turn.path) == store.active_path(turn.conversation_id)
    question, reply = turn.path
    assert (question.role, question.content, question.id) == ("user", "Bonjour", turn.question_id)
    assert (reply.role, reply.status, reply.parent_id) == ("assistant", "streaming", question.id)
    assert reply.params == turn.params.as_dict()
    assert store.get_conversation(turn.conversation_id).system_prompt == "Be brief."
    assert [m.content for m in turn.history] == ["Be brief.", "Bonjour"]


def test_a_follow_up_reads_the_path_once_inside_its_one_transaction(
    service: ConversationService,
) -> None:
    store = service.store
    first = service.prepare("question one")
    store.update_message(first.reply_id, content="answer one", status="complete")
    statements = sql_log(store)
    second = service.prepare("question two", first.conversation_id)
    assert writes(statements) == 1
    assert sum("RECURSIVE" in s for s in statements) == 1
    path = store.active_path(first.conversation_id)
    assert list(second.path) == path
    assert [m.content for m in path] == ["question one", "answer one", "question two", ""]
    assert path[2].parent_id == first.reply_id
    history = history_for(store, first.conversation_id, second.question_id, "")
    assert list(second.history) == history


def test_regenerate_and_edit_paths_end_with_their_question_and_new_reply(
    service: ConversationService,
) -> None:
    store = service.store
    first = service.prepare("what is two plus two?")
    store.update_message(first.reply_id, content="five", status="complete")
    again = service.prepare_regenerate(first.reply_id)
    assert list(again.path) == store.active_path(first.conversation_id)
    assert [m.id for m in again.path] == [first.question_id, again.reply_id]
    assert [m.content for m in again.history] == ["what is two plus two?"]  # not "five"
    assert store.sibling_ids([again.reply_id])[again.reply_id] == [first.reply_id, again.reply_id]
    edited = service.prepare_edit(first.question_id, "what is three plus three?")
    assert list(edited.path) == store.active_path(first.conversation_id)
    assert [m.content for m in edited.path] == ["what is three plus three?", ""]
    assert edited.path[0].parent_id is None  # a new first turn beside the original


def test_a_reply_that_cannot_be_stored_leaves_no_question_behind(tmp_path: Path) -> None:
    with Store.open(tmp_path / "history.db") as store:
        with pytest.raises(EnclaveError, match="parameters"):
            store.add_turn(None, "lost?", params={"temperature": float("nan")})
        conversation = store.create_conversation()
        with pytest.raises(EnclaveError, match="parameters"):
            store.add_turn(conversation.id, "lost?", params={"temperature": float("nan")})
        assert store.count_conversations() == 1
        assert store.count_messages() == 0


def test_a_deleted_conversation_takes_no_new_turn(tmp_path: Path) -> None:
    with Store.open(tmp_path / "history.db") as store:
        conversation = store.create_conversation()
        store.delete_conversation(conversation.id)
        with pytest.raises(DeletedError):
            store.add_turn(conversation.id, "still there?")
        assert store.count_messages() == 0


def test_the_warm_up_leaves_nothing_in_the_database_or_its_files(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with Store.open(path) as store:
        kept = store.create_conversation(title="kept")
        store.warm_up()
        assert [c.id for c in store.list_conversations()] == [kept.id]
        assert store.count_conversations(include_deleted=True) == 1
        assert store.count_messages() == 0
        _conversation, turn_path = store.add_turn(None, "a real question")
        assert [m.content for m in turn_path] == ["a real question", ""]
    files = [p for p in tmp_path.iterdir() if p.name.startswith("history.db")]
    assert files and not any(b"warm-up" in p.read_bytes() for p in files)


def test_the_warm_up_works_on_a_history_kept_in_memory() -> None:
    with Store.open(None) as store:
        store.warm_up()
        assert store.count_conversations(include_deleted=True) == 0
        _conversation, turn_path = store.add_turn(None, "hello")
        assert [m.role for m in turn_path] == ["user", "assistant"]
