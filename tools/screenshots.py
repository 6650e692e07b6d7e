"""Take the README screenshots of the real window under Xvfb at 1280×800.

    .venv/bin/python tools/screenshots.py [--model PATH] [--out docs/screenshots]

It re-runs itself under `xvfb-run` (QT_QPA_PLATFORM=xcb), seeds a fresh temporary data
directory with a few realistic conversations, loads the bundled model for real, and saves
chat.png (light, Markdown and code), settings.png (the settings dialog), french.png (the
French interface, dark theme), model-choice.png (the header's model choice, open),
thought.png (an answer with its folded reasoning), waiting.png (a reply loading its model) and
loading-progress.png (the same load at 42 %, in the reply and in the status bar, with Cancel).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SIZE = (1280, 800)

ANSWER_EN = """## Remove duplicates, keep the order

Since Python 3.7, `dict` keeps insertion order, so the shortest way is:

```python
def unique(items):
    \"\"\"Return the items without duplicates, first occurrence first.\"\"\"
    return list(dict.fromkeys(items))

print(unique([3, 1, 3, 2, 1]))  # [3, 1, 2]
```

| Approach | Keeps order | Speed |
|---|---|---|
| `list(set(items))` | no | fast |
| `dict.fromkeys(items)` | yes | fast |
| loop with a `seen` set | yes | fast, more code |

- Items must be **hashable** (no lists inside).
- For unhashable items, compare with `==` in a loop instead.
"""

ANSWER_FR = """Voici un **résumé** de la réunion :

1. Le lancement est avancé au **3 juin**.
2. Claire prépare la démonstration pour les clients.
3. Le budget reste inchangé.

> Prochaine réunion : jeudi à 10 h.

Points ouverts : la traduction de la documentation et les tests sur Windows.
"""


def seed(data_dir: Path) -> dict[str, int]:
    from app.core.store import Store

    now = datetime.now(UTC)
    ages = [
        timedelta(days=40),
        timedelta(days=12),
        timedelta(days=4),
        timedelta(days=3),
        timedelta(days=1, hours=2),
        timedelta(hours=5),
        timedelta(hours=3),
        timedelta(minutes=20),
        timedelta(minutes=2),
    ]
    stamps = iter(now - a for a in ages)
    current = [now - ages[0]]

    def clock() -> datetime:
        return current[0]

    store = Store.open(data_dir / "enclave.sqlite3", clock=clock)
    ids: dict[str, int] = {}

    def conversation(title, question, answer, pinned=False, stats=None):
        current[0] = next(stamps, now)
        conv = store.create_conversation(title=title)
        user = store.add_message(conv.id, "user", question)
        store.add_message(
            conv.id, "assistant", answer, parent_id=user.id, model_name="Gemma 3 270M (demo)",
            stats=stats,
        )  # fmt: skip
        if pinned:
            store.set_pinned(conv.id, True)
        ids[title] = conv.id

    conversation(
        "How many r in strawberry?",
        "How many times does the letter r appear in “strawberry”?",
        "There are **three**: st**r**awbe**rr**y.",
        stats={
            "reasoning": "Spell it: s-t-r-a-w-b-e-r-r-y. The r comes at position 3, then twice "
            "at positions 8 and 9. That is 3.",
            "reasoning_s": 4.2,
        },
    )
    conversation(
        "Verbes irréguliers", "Donne-moi trois verbes irréguliers.", "*Être*, *avoir* et *aller*."
    )
    conversation(
        "Quarterly report outline",
        "Outline a quarterly report.",
        "1. Summary\n2. Results\n3. Risks\n4. Next quarter",
        pinned=True,
    )
    conversation(
        "Trip to Lisbon ideas",
        "Ideas for a weekend in Lisbon?",
        "Belém, Alfama at sunset, and a tram ride on line 28.",
    )
    conversation(
        "Sourdough starter",
        "How do I feed a sourdough starter?",
        "Equal weights of flour and water, once a day at room temperature.",
    )
    conversation(
        "Explain the TCP handshake",
        "Explain the TCP handshake.",
        "SYN, SYN-ACK, ACK: each side agrees on sequence numbers.",
    )
    conversation(
        "Résumé de réunion", "Résume la réunion de ce matin en quelques points.", ANSWER_FR
    )
    conversation(
        "Email to the landlord",
        "Draft a short email about the broken heater.",
        "Dear Ms Martin, the heater in the living room stopped working on Monday…",
    )
    conversation(
        "Remove duplicates, keep order",
        "How can I remove duplicates from a list in Python but keep the order?",
        ANSWER_EN,
    )
    store.close()
    return ids


def shoot(out: Path, model: str | None) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.config.runtime import Runtime
    from app.ui.application import create_qapp, open_window
    from app.ui.i18n import Translations
    from app.ui.settings_dialog import SettingsDialog
    from app.ui.theme import apply_theme
    from bench.common import empty_policy

    data = Path(tempfile.mkdtemp(prefix="enclave-shots-"))
    runtime = Runtime.create(data, empty_policy(data))
    runtime.settings.update(first_run_done=True, model=model or "", threads=2)
    ids = seed(data)
    app = create_qapp()
    translations = Translations(app)
    translations.apply("en")
    apply_theme(app, "light")
    window = open_window(runtime, translations=translations)
    window.setGeometry(0, 0, *SIZE)
    window.show()
    loaded: list[object] = []
    window.worker.modelLoaded.connect(loaded.append)
    window.worker.modelFailed.connect(lambda e: (print("model failed:", e), loaded.append(e)))
    window.load_model()
    wait_until(app, lambda: bool(loaded), 120)

    def grab(name: str, dialog=None) -> None:
        settle(app)
        image = window.grab() if dialog is None else over(window.grab(), dialog.grab())
        path = out / name
        image.save(str(path), "PNG", 0)  # 0: the strongest PNG compression
        print(f"{path}: {path.stat().st_size // 1024} KiB")

    window.sidebar.select(ids["Remove duplicates, keep order"])
    window.show_conversation(ids["Remove duplicates, keep order"])
    grab("chat.png")

    window.model_picker.showPopup()
    settle(app)
    shot = app.primaryScreen().grabWindow(0, 0, 0, *SIZE)  # the popup is a window of its own
    shot.save(str(out / "model-choice.png"), "PNG", 0)
    print(f"{out / 'model-choice.png'}")
    window.model_picker.hidePopup()

    window.sidebar.select(ids["How many r in strawberry?"])
    window.show_conversation(ids["How many r in strawberry?"])
    grab("thought.png")

    waiting = ids["Trip to Lisbon ideas"]
    question = window.store.add_message(waiting, "user", "And where should we eat?")
    reply = window.store.add_message(
        waiting, "assistant", "", parent_id=question.id, status="streaming"
    )
    window.sidebar.select(waiting)
    window.show_conversation(waiting)
    window.chat_view.show_waiting(reply.id, "loading", "Qwen3 4B Instruct · Q4_K_M")
    window.chat_view.set_busy(True)
    grab("waiting.png")
    window.worker.modelLoading.emit()  # the signals a load sends, at llama.cpp's 42 % report
    window.worker.modelProgress.emit(0.42)
    window.controller.replyLoading.emit(reply.id, 0.42)
    grab("loading-progress.png")
    window.worker.note_stopped(loaded[0])
    window.store.update_message(reply.id, status="cancelled")
    window.chat_view.set_busy(False)

    dialog = SettingsDialog(runtime, window.presets, window)
    dialog.resize(620, 430)
    dialog.show()
    grab("settings.png", dialog)
    dialog.close()

    window.apply_settings({"language": "fr", "theme": "dark"})
    window.sidebar.select(ids["Résumé de réunion"])
    window.show_conversation(ids["Résumé de réunion"])
    window.composer.set_text("Peux-tu en faire un e-mail pour l’équipe ?")
    grab("french.png")
    QTimer.singleShot(0, window.close)
    window.shutdown()
    QApplication.processEvents()


def over(base, top):
    """The dialog centred over the dimmed window, with a soft shadow (Xvfb has no window
    manager to draw one)."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QPainter

    painter = QPainter(base)
    painter.fillRect(base.rect(), QColor(0, 0, 0, 80))
    x, y = (base.width() - top.width()) // 2, (base.height() - top.height()) // 2
    for spread in range(14, 0, -2):
        painter.fillRect(
            QRect(x - spread, y - spread + 4, top.width() + 2 * spread, top.height() + 2 * spread),
            QColor(0, 0, 0, 10),
        )
    painter.drawPixmap(x, y, top)
    painter.end()
    return base


def settle(app, rounds: int = 30) -> None:
    import time

    for _ in range(rounds):  # let layouts, renders and repaints finish
        app.processEvents()
        time.sleep(0.02)


def wait_until(app, condition, seconds: float) -> None:
    import time

    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description="Screenshots of Enclave under Xvfb.")
    parser.add_argument("--model", help="a .gguf file (default: the bundled model)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.inner:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
        command = [
            "xvfb-run",
            "-a",
            "-s",
            f"-screen 0 {SIZE[0]}x{SIZE[1]}x24",
            sys.executable,
            __file__,
            "--inner",
            "--out",
            str(out),
        ]
        if args.model:
            command += ["--model", args.model]
        return subprocess.call(command, env=env)
    shoot(out, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
