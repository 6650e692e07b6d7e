"""E-mail (.eml): the main headers and the body (plain text preferred, else HTML's text).

Attachments are listed by name, not opened: summarise them by dropping them separately.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast

from app.core.documents.extract.guards import raise_too_long, read_bytes
from app.core.documents.extract.html import html_blocks
from app.core.documents.extract.pages import Extracted, paginate, paragraphs
from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError

_HEADERS = ("From", "To", "Cc", "Date", "Subject")


def extract_eml(path: Path, limits: DocumentLimits) -> Extracted:
    try:
        parsed = BytesParser(policy=policy.default).parsebytes(read_bytes(path))
    except (ValueError, TypeError, IndexError) as exc:
        raise DocumentError(f"{path.name}: the e-mail file is malformed ({exc}).") from None
    message = cast(EmailMessage, parsed)  # policy.default always builds EmailMessage objects
    header = [f"{name}: {message[name]}" for name in _HEADERS if message[name]]
    blocks = ["\n".join(header)] if header else []
    blocks += _body_blocks(message)
    attachments = [a.get_filename() for a in message.iter_attachments() if a.get_filename()]
    if attachments:
        blocks.append("Attachments (not read): " + ", ".join(attachments))
    if sum(len(b) for b in blocks) > limits.max_chars:
        raise_too_long(path, limits)
    return Extracted(paginate(blocks))


def _body_blocks(message: EmailMessage) -> list[str]:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return []
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
