"""Reading Python source files the way Python does (PEP 263 cookie, BOM, UTF-8 default)."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class DecodedSource:
    text: str  #: without a BOM; newlines exactly as in the file
    encoding: str
    bom: bool


def decode_source(data: bytes) -> DecodedSource:
    """Decode a file's bytes.  Raises ``SyntaxError`` (bad cookie) or ``UnicodeDecodeError``."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    bom = encoding == "utf-8-sig"
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
        bom = True
    return DecodedSource(text, "utf-8" if bom else encoding, bom)


def encode_source(text: str, decoded: DecodedSource) -> bytes:
    """The bytes to write back for ``text`` read as ``decoded``."""
    data = text.encode(decoded.encoding)
    return b"\xef\xbb\xbf" + data if decoded.bom else data


def read_source(path: str) -> str:
    with open(path, "rb") as handle:
        return decode_source(handle.read()).text


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def physical_lines(text: str) -> list[str]:
    """The lines of ``text`` as Python's tokenizer counts them (ends kept): only ``\\n``,
    ``\\r\\n`` and ``\\r`` end a line, unlike ``str.splitlines`` (form feeds, ``\\x85``...)."""
    return _LINE.findall(text)
