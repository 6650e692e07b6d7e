"""A conversation as one standalone, readable HTML page.

Every piece of text is escaped: message Markdown is rendered by markdown-it-py with raw HTML
off (so `<script>` comes out as text) and its link validation on (no `javascript:` links); the
page's Content-Security-Policy also forbids scripts and remote content, so opening an export
never runs code or contacts a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from html import escape

from markdown_it import MarkdownIt

from app.core.store import ConversationRecord, MessageRecord

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
ROLE_LABELS = {"user": "You", "assistant": "Assistant", "system": "System"}
STATUS_NOTES = {
    "partial": "interrupted: the reply is incomplete",
    "cancelled": "stopped by the user",
    "failed": "generation failed",
    "streaming": "still being written when exported",
}

_STYLE = """
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #ffffff; --muted: #6e6e73;
  --user: #eef3ff; --assistant: #f6f6f7; --code: #f0f0f2; --border: #d9d9de; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8ea; --bg: #16161a; --muted: #9a9aa2;
  --user: #1f2a44; --assistant: #22232a; --code: #2b2c33; --border: #3a3b44; } }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
.meta { color: var(--muted); font-size: .85rem; margin: 0 0 1.5rem; }
.system { border-left: 3px solid var(--border); padding: .25rem 1rem; color: var(--muted); }
article { border: 1px solid var(--border); border-radius: 10px; padding: .75rem 1rem;
  margin: 1rem 0; }
article.user { background: var(--user); } article.assistant { background: var(--assistant); }
article header { font-size: .8rem; color: var(--muted); margin-bottom: .25rem; }
article header strong { color: var(--fg); }
.note { font-style: italic; color: var(--muted); font-size: .85rem; }
pre { background: var(--code); padding: .75rem; border-radius: 6px; overflow-x: auto; }
code { background: var(--code); border-radius: 4px; padding: 0 .2em;
  font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .9em; }
pre code { padding: 0; background: none; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--border); padding: .3rem .6rem; }
blockquote { margin-left: 0; padding-left: 1rem; border-left: 3px solid var(--border); }
img { max-width: 100%; }
"""


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html=False: raw HTML in a message is shown as text, never inserted into the page.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str) -> str:
    return _markdown().render(text)


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _message_html(message: MessageRecord) -> str:
    label = escape(ROLE_LABELS.get(message.role, message.role))
    details = [f"<strong>{label}</strong>", escape(_when(message.created_at))]
    if message.role == "assistant" and message.model_name:
        details.append(escape(message.model_name))
    if message.tokens_per_s:
        details.append(f"{message.tokens_per_s:.1f} tokens/s")
    note = STATUS_NOTES.get(message.status)
    body = render_markdown(message.content)
    note_html = f'<p class="note">({escape(note)})</p>' if note else ""
    return (
        f'<article class="{escape(message.role)}">\n<header>{" · ".join(details)}</header>\n'
        f"{body}{note_html}</article>"
    )


def to_html(conversation: ConversationRecord, messages: Sequence[MessageRecord]) -> str:
    """A complete HTML document for the conversation (the messages given, in order)."""
    title = conversation.title or "Untitled conversation"
    meta = [f"Created {_when(conversation.created_at)}"]
    if conversation.model:
        meta.append(f"model {conversation.model}")
    meta.append("exported from Enclave")
    parts = [
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(" · ".join(meta))}</p>',
    ]
    if conversation.system_prompt.strip():
        parts.append(
            '<section class="system"><p><strong>System prompt</strong></p>'
            f"{render_markdown(conversation.system_prompt)}</section>"
        )
    parts.extend(_message_html(m) for m in messages)
    parts.append("</main></body>\n</html>\n")
    return "\n".join(parts)
