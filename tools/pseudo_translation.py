"""A pseudo-translation 40 % longer than English, to find text that would not fit (as Vorta does).

    .venv/bin/python tools/pseudo_translation.py [--data-dir DIR]   # open the window with it

Every string the window shows through tr() comes back lengthened with its own words:
"Send" -> "Send Send", "Link instead of copying" -> "Link instead of copying Link instead".
Translations are often that much longer than English (French by 15-30 %, German more), so a
label or a column that still fits with this will fit in them. tests/ui/test_nothing_cut_off.py
installs it.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from itertools import cycle
from pathlib import Path

from PySide6.QtCore import QTranslator

ROOT = Path(__file__).resolve().parent.parent
GROWTH = 0.4
# Qt parses these back (shortcut names): lengthening them would change what they mean.
_KEEP_CONTEXTS = frozenset({"QShortcut", "QKeySequence"})


def lengthen(text: str, growth: float = GROWTH) -> str:
    """`text` followed by its own words again until it is `growth` longer. The added words
    lose any markup ({name} placeholders, HTML tags, entities), so nothing is broken or
    doubled that code fills in or parses."""
    words = [w for w in (_plain(word) for word in text.split()) if w]
    target = len(text) + math.ceil(len(text) * growth)
    if not words:
        return text
    out = text
    for word in cycle(words):
        if len(out) >= target:
            return out
        out += " " + word
    return out  # not reached: cycle() is endless


def _plain(word: str) -> str:
    return re.sub(r"\{[^}]*\}|<[^>]*>|&\w+;|[{}<>&%]", "", word)


class PseudoTranslator(QTranslator):
    """Install on the application: every tr() string comes back 40 % longer."""

    def translate(self, context, source_text, disambiguation=None, n=-1):
        if not source_text or context in _KEEP_CONTEXTS:
            return None  # "no translation": Qt shows the source
        return lengthen(source_text)

    def isEmpty(self) -> bool:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="the data directory (default: a fresh temporary one)")
    args = parser.parse_args()
    import tempfile

    sys.path.insert(0, str(ROOT))
    from app.core.config.runtime import Runtime
    from app.ui.application import create_qapp, open_window

    data = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="enclave-"))
    policy = data / "policy.toml"
    if not policy.exists():
        policy.write_text("", encoding="utf-8")  # no admin policy
    runtime = Runtime.create(data, policy)
    app = create_qapp()
    translator = PseudoTranslator(app)
    app.installTranslator(translator)
    window = open_window(runtime)
    window.show()
    window.load_model()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
