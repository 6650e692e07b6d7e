"""Decompression bombs built by hand: zip members whose directory entries declare any size,
true or not, and a PDF whose page content stream inflates to 1 GiB.

`zipfile` always writes the true sizes, so the archive is assembled here from raw deflate
streams; the inflated content is never held in memory (1 GiB goes through the compressor in
1 MiB blocks, about 1 MB comes out).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

GiB = 1 << 30
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes  # the deflated (or stored) bytes as they sit in the archive
    crc: int
    size: int  # the size the archive declares, true or not
    method: int = 8


def deflated(name: str, content: bytes, declared: int | None = None) -> Member:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = packer.compress(content) + packer.flush()
    size = len(content) if declared is None else declared
    return Member(name, data, zlib.crc32(content), size)


def stored(name: str, content: bytes) -> Member:
    return Member(name, content, zlib.crc32(content), len(content), method=0)


def repeated(name: str, block: bytes, total: int, declared: int | None = None) -> Member:
    """`block` repeated up to `total` bytes, deflated as a stream."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = block * max(1, _BLOCK // len(block))
    parts, crc, done = [], 0, 0
    while done < total:
        piece = chunk[: total - done]
        parts.append(packer.compress(piece))
        crc = zlib.crc32(piece, crc)
        done += len(piece)
    parts.append(packer.flush())
    return Member(name, b"".join(parts), crc, total if declared is None else declared)


def write_zip(path: Path, members: list[Member]) -> Path:
    local, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode()
        offset = len(local)
        fields = (20, 0, m.method, 0, 0, m.crc, len(m.data), m.size, len(name), 0)
        local += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields) + name + m.data
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset
        )
        central += name
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))
    return path


CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


def lying_docx(path: Path) -> Path:
    """1 GiB of zeros in word/document.xml, declared as 2,000 bytes: about 1 MB on disk."""
    bomb = repeated("word/document.xml", b"\0", GiB, declared=2000)
    return write_zip(path, [deflated("[Content_Types].xml", CONTENT_TYPES), bomb])


def inflating_odt(path: Path, *, lie: bool) -> Path:
    """An ODT whose content.xml inflates to 1 GiB of paragraphs (declared truly, or as 4 KB)."""
    head = (
        b'<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:'
        b'opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:'
        b'text:1.0"><office:body><office:text>'
    )
    paragraphs = repeated("content.xml", b"<text:p>lorem ipsum</text:p>", GiB)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    # The head, then the paragraphs' stream: one deflate stream made of two compressions.
    body = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    content = Member(
        "content.xml",
        body + paragraphs.data,
        0,
        4096 if lie else len(head) + GiB,
    )
    mimetype = stored("mimetype", b"application/vnd.oasis.opendocument.text")
    return write_zip(path, [mimetype, content])


def inflating_pdf(path: Path, inflated: int = GiB) -> Path:
    """A one-page PDF whose content stream is `inflated` bytes of spaces, Flate-compressed."""
    stream = repeated("content", b"   ", inflated).data
    stream = b"\x78\xda" + stream + struct.pack(">I", 1)  # zlib wrapper; Adler-32 left wrong
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path
