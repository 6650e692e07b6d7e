"""E-mail (.eml): the main headers and the body (plain text preferred, else HTML's text).

Attachments are listed by name, never decoded: summarise them by dropping them separately. The
file is fed to the parser in blocks rather than read whole (a 56 MB message with an attachment
took 460 MB read at once, 170 MB fed), and the body's encoded size is checked against the
character limit before it is decoded.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesFeedParser
from pathlib import Path
from typing import cast

from app.core.documents.extract.guards import raise_too_long
from app.core.documents.extract.html import html_blocks
from app.core.documents.extract.pages import Extracted, paginate, paragraphs
from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError

_HEADERS = ("From", "To", "Cc", "Date", "Subject")
_BLOCK = 1 << 20
_ENCODED_PER_CHAR = 12  # quoted-printable: "=XX" for each of up to 4 UTF-8 bytes


def extract_eml(path: Path, limits: DocumentLimits) -> Extracted:
    try:
        parsed = _parse(path)
    except (ValueError, TypeError, IndexError) as exc:
        raise DocumentError(f"{path.name}: the e-mail file is malformed ({exc}).") from None
    message = cast(EmailMessage, parsed)  # policy.default always builds EmailMessage objects
    header = [f"{name}: {message[name]}" for name in _HEADERS if message[name]]
    blocks = ["\n".join(header)] if header else []
    blocks += _body_blocks(path, message, limits)
    attachments = [a.get_filename() for a in message.iter_attachments() if a.get_filename()]
    if attachments:
        blocks.append("Attachments (not read): " + ", ".join(attachments))
    if sum(len(b) for b in blocks) > limits.max_chars:
        raise_too_long(path, limits)
    return Extracted(paginate(blocks))


def _parse(path: Path) -> object:
    parser = BytesFeedParser(policy=policy.default)
    try:
        with path.open("rb") as fh:
            while block := fh.read(_BLOCK):
                parser.feed(block)
    except OSError as exc:
        raise DocumentError(f"{path.name}: the file cannot be read ({exc.strerror}).") from None
    return parser.close()


def _body_blocks(path: Path, message: EmailMessage, limits: DocumentLimits) -> list[str]:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return []
    encoded = body.get_payload()
    if isinstance(encoded, str) and len(encoded) > limits.max_chars * _ENCODED_PER_CHAR:
        raise_too_long(path, limits)  # before decoding: base64 or quoted-printable grows text
    try:
        content = body.get_content()
    except (LookupError, ValueError):  # an unknown charset: keep what decodes
        payload = body.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return []
    if body.get_content_subtype() == "html":
        return html_blocks(content)
    return paragraphs(content)
