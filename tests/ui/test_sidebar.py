"""The conversation list: live search over every message, rename, pin, delete with undo, and all
of it still there after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from app.core.config.runtime import Runtime
from app.core.store import Store
from app.ui.date_groups import Group, group_of
from tests.helpers.fake_engine import FakeEngine
from tests.helpers.qt import WAIT_MS, make_window, send


def _seed(runtime: Runtime) -> dict[str, int]:
    store = runtime.open_store()
    ids = {}
    for title, question, answer in (
        ("Bread", "How do I bake sourdough?", "Feed the starter, then proof overnight."),
        ("Trip", "Plan a weekend in Lisbon", "Visit Belém and eat pastéis de nata."),
        ("Code", "Reverse a list in Python", "Use reversed() or slicing."),
    ):
        conv = store.create_conversation(title=title)
        store.add_message(conv.id, "user", question)
        store.add_message(conv.id, "assistant", answer)
        ids[title] = conv.id
    store.close()
    return ids


def test_search_filters_the_sidebar_by_message_text(qtbot, runtime):
    ids = _seed(runtime)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    assert sorted(window.sidebar.visible_ids()) == sorted(ids.values())
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)  # Ctrl+K
    assert window.sidebar.search.hasFocus()
    qtbot.keyClicks(window.sidebar.search, "proof")  # a word only in an assistant answer
    qtbot.waitUntil(lambda: window.sidebar.visible_ids() == [ids["Bread"]], timeout=WAIT_MS)
    item = window.sidebar.list.item(0)
    assert "proof" in item.text()  # the matching line is shown under the title
    window.sidebar.search.clear()
    qtbot.waitUntil(lambda: len(window.sidebar.visible_ids()) == 3, timeout=WAIT_MS)
    qtbot.keyClicks(window.sidebar.search, "nothing-like-this")
    qtbot.waitUntil(lambda: window.sidebar.visible_ids() == [], timeout=WAIT_MS)
    assert window.sidebar.empty_label.isVisible()


def test_clicking_a_conversation_shows_it(qtbot, runtime):
    ids = _seed(runtime)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    row = next(
        i
        for i in range(window.sidebar.list.count())
        if window.sidebar.list.item(i).data(Qt.ItemDataRole.UserRole) == ids["Trip"]
    )
    rect = window.sidebar.list.visualItemRect(window.sidebar.list.item(row))
    qtbot.mouseClick(window.sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.controller.conversation_id == ids["Trip"]
    assert [w.text() for w in window.chat_view.message_widgets] == [
        "Plan a weekend in Lisbon",
        "Visit Belém and eat pastéis de nata.",
    ]
    assert window.title_label.text() == "Trip"


def test_rename_pin_and_delete_survive_a_restart(qtbot, runtime):
    window = make_window(qtbot, runtime, FakeEngine(replies=["One.", "Two.", "Three."]))
    send(qtbot, window, "first question")
    first = window.controller.conversation_id
    window.new_chat()
    send(qtbot, window, "second question")
    second = window.controller.conversation_id
    window.new_chat()
    send(qtbot, window, "third question")
    third = window.controller.conversation_id
    window.sidebar.rename(first, "Renamed chat")
    window.sidebar.set_pinned(first, True)
    window.sidebar.delete(second)
    assert window.sidebar.undo_bar.isVisible()
    assert second not in window.sidebar.visible_ids()
    assert window.sidebar.visible_ids()[0] == first  # pinned first
    window.close()

    again = make_window(qtbot, Runtime.create(runtime.paths.data_dir), FakeEngine(), load=False)
    assert again.sidebar.visible_ids() == [first, third]
    assert again.sidebar.list.item(0).text() == "Pinned"
    assert "Renamed chat" in again.sidebar.list.item(1).text()
    # Closing the window ended the Undo time: the deleted conversation is gone for good.
    assert again.store.find_conversation(second) is None
    assert again.store.count_conversations(include_deleted=True) == 2


def test_undo_restores_a_deleted_conversation(qtbot, runtime):
    ids = _seed(runtime)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    window.show_conversation(ids["Code"])
    window.sidebar.select(ids["Code"])
    window.sidebar.delete_current()
    assert window.controller.conversation_id is None  # the view left the deleted chat
    assert ids["Code"] not in window.sidebar.visible_ids()
    qtbot.mouseClick(window.sidebar.undo_button, Qt.MouseButton.LeftButton)
    assert ids["Code"] in window.sidebar.visible_ids()
    assert window.controller.conversation_id == ids["Code"]
    assert not window.sidebar.undo_bar.isVisible()


def test_conversations_are_grouped_by_date(qtbot, runtime):
    now = datetime.now(UTC)
    stamps = iter([now - timedelta(days=30), now - timedelta(days=3), now])
    store = Store.open(runtime.paths.database, clock=lambda: next(stamps, now))
    for title in ("Old one", "Last week", "Fresh"):
        store.create_conversation(title=title)
    store.close()
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    texts = [window.sidebar.list.item(i).text() for i in range(window.sidebar.list.count())]
    assert texts == ["Today", "Fresh", "Previous 7 days", "Last week", "Older", "Old one"]


def test_date_groups_follow_the_calendar():
    today = datetime(2026, 3, 10, 12, tzinfo=UTC).astimezone().date()
    at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert group_of(True, at - timedelta(days=100), today) is Group.PINNED
    assert group_of(False, at, today) is Group.TODAY
    assert group_of(False, at - timedelta(days=1), today) is Group.YESTERDAY
    assert group_of(False, at - timedelta(days=5), today) is Group.WEEK
    assert group_of(False, at - timedelta(days=8), today) is Group.OLDER
