"""Markdown to the HTML subset QTextDocument understands, with highlighted code blocks.

Model output is untrusted: raw HTML is escaped (markdown-it `html=False`), images are shown as
their alt text (nothing is ever fetched), and only http(s)/mailto links stay clickable. Each code
block gets a header with its language and a "copy:N" link; `Rendered.code_blocks[N]` is the raw
code the copy button puts on the clipboard. Highlighting is cached so re-rendering a reply while
it streams only highlights the block that is still growing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import lru_cache

SAFE_SCHEMES = ("http://", "https://", "mailto:")


@dataclass(frozen=True)
class CodeTheme:
    pygments_style: str
    block_bg: str
    header_bg: str
    header_fg: str
    border: str
    inline_bg: str
    link: str


LIGHT_CODE = CodeTheme("friendly", "#f6f8fa", "#eaeef2", "#57606a", "#d0d7de", "#eff1f3", "#0969da")
DARK_CODE = CodeTheme(
    "github-dark", "#161b22", "#21262d", "#8b949e", "#30363d", "#2d333b", "#58a6ff"
)


@dataclass
class Rendered:
    html: str
    code_blocks: list[str] = field(default_factory=list)


@lru_cache(maxsize=512)
def _highlight(code: str, language: str, style: str) -> str:
    # Imported here: pygments is not needed to show the window (see warm_up()).
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language) if language else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    formatter = HtmlFormatter(style=style, noclasses=True, nowrap=True)
    return highlight(code, lexer, formatter)


class MarkdownRenderer:
    """Renders one message; keep one instance per theme (markdown-it setup is not free)."""

    def __init__(self, theme: CodeTheme = LIGHT_CODE, copy_label: str = "Copy") -> None:
        from markdown_it import MarkdownIt  # with the first renderer, after the first paint

        self.theme = theme
        self.copy_label = copy_label
        self._md = MarkdownIt("commonmark", {"html": False, "typographer": False})
        self._md.enable(["table", "strikethrough"])
        self._md.validateLink = self._link_allowed  # type: ignore[method-assign]
        rules = self._md.renderer.rules  # plain callables: (tokens, idx, options, env)
        rules["fence"] = self._fence
        rules["code_block"] = self._fence
        rules["code_inline"] = self._code_inline
        rules["image"] = self._image
        self._blocks: list[str] = []
        self._first_block = 0

    @staticmethod
    def _link_allowed(url: str) -> bool:
        return url.lower().startswith(SAFE_SCHEMES)

    def render(self, text: str, first_block: int = 0) -> Rendered:
        """`first_block` numbers the copy links when `text` is a later part of a message."""
        self._blocks = []
        self._first_block = first_block
        body = self._md.render(text)
        return Rendered(self._wrap(body), list(self._blocks))

    def _wrap(self, body: str) -> str:
        t = self.theme
        css = (
            f"a {{ color: {t.link}; text-decoration: none; }}"
            "p, ul, ol { margin-top: 4px; margin-bottom: 6px; }"
            "h1 { font-size: x-large; } h2 { font-size: large; } h3 { font-size: medium; }"
            "th { font-weight: 600; }"
            f"blockquote {{ color: {t.header_fg}; margin-left: 12px; }}"
        )
        body = body.replace(
            "<table>",
            f'<table border="1" cellpadding="6" cellspacing="0" '
            f'style="border-collapse:collapse; border-style:solid; '
            f'border-color:{t.border}; margin-top:4px;">',
        )
        return f"<html><head><style>{css}</style></head><body>{body}</body></html>"

    # -- render rules ---------------------------------------------------------------------
    def _fence(self, tokens, idx, _options, _env) -> str:
        token = tokens[idx]
        code = token.content
        language = (token.info or "").strip().split(" ")[0].lower()
        index = self._first_block + len(self._blocks)
        self._blocks.append(code)
        t = self.theme
        highlighted = _highlight(code.rstrip("\n"), language, t.pygments_style)
        label = html.escape(language or "text")
        copy = html.escape(self.copy_label)
        return (
            f'<table width="100%" cellspacing="0" cellpadding="0" border="1" '
            f'style="border-collapse:collapse; border-style:solid; border-color:{t.border}; '
            f'margin-top:6px; margin-bottom:8px;">'
            f'<tr><td style="background-color:{t.header_bg}; padding:4px 10px;">'
            f'<table width="100%" cellspacing="0" cellpadding="0"><tr>'
            f'<td><span style="color:{t.header_fg}; font-size:small;">{label}</span></td>'
            f'<td align="right"><a href="copy:{index}" style="font-size:small;">{copy}</a></td>'
            f"</tr></table></td></tr>"
            f'<tr><td style="background-color:{t.block_bg}; padding:8px 10px;">'
            f'<pre style="white-space:pre-wrap; margin:0; font-family:monospace;">'
            f"{highlighted}</pre></td></tr></table>"
        )

    def _code_inline(self, tokens, idx, _options, _env) -> str:
        code = html.escape(tokens[idx].content)
        return (
            f'<code style="font-family:monospace; background-color:{self.theme.inline_bg};">'
            f"&#8202;{code}&#8202;</code>"
        )

    def _image(self, tokens, idx, _options, _env) -> str:
        alt = "".join(child.content for child in tokens[idx].children or [])
        return html.escape(f"[{alt or 'image'}]")


WARM_LANGUAGES = ("python", "bash", "javascript", "json", "c", "cpp", "java", "sql", "rust")


def warm_up() -> None:
    """Import the usual lexers and styles ahead of time (call from a background thread): the
    first code block of a session would otherwise pay for those imports on the GUI thread."""
    for style in (LIGHT_CODE.pygments_style, DARK_CODE.pygments_style):
        for language in WARM_LANGUAGES:
            _highlight("x = 1", language, style)
    MarkdownRenderer().render("# warm\n\n| a |\n|---|\n| b |\n")


def stable_prefix_end(text: str) -> int:
    """Where the finished part of a streaming reply ends: just after the last blank line that
    is outside a code fence and followed by a line that starts a new block. What comes before
    cannot change as more text arrives, so it is rendered once."""
    end = 0
    in_fence = False
    position = 0
    lines = text.split("\n")
    for number, line in enumerate(lines[:-1]):  # the last line may still be growing
        position += len(line) + 1
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and not stripped:
            following = lines[number + 1]
            if following and not following[0].isspace():
                end = position
    return end


def plain_to_html(text: str) -> str:
    """User messages are shown as typed: escaped, line breaks kept."""
    return html.escape(text).replace("\n", "<br>")
