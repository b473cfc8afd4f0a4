"""Reading Python source files the way Python does (PEP 263 cookie, BOM, UTF-8 default)."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class DecodedSource:
    text: str  #: without a BOM; newlines exactly as in the file
    encoding: str  #: the codec that writes ``text`` back as it was (``utf-8-sig`` keeps a BOM)

    @property
    def bom(self) -> bool:
        return self.encoding == "utf-8-sig"


def decode_source(data: bytes) -> DecodedSource:
    """Decode a file's bytes as Python does (PEP 263 cookie, BOM, else UTF-8).  Raises
    ``SyntaxError`` (bad cookie), ``LookupError`` or ``UnicodeDecodeError``."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return DecodedSource(data.decode(encoding), encoding)


def read_source(path: str) -> str:
    with open(path, "rb") as handle:
        return decode_source(handle.read()).text


def physical_lines(text: str) -> list[str]:
    """The lines of ``text`` as Python's tokenizer counts them (ends kept): only ``\\n``,
    ``\\r\\n`` and ``\\r`` end a line, unlike ``str.splitlines`` (form feeds, ``\\x85``...)."""
    return io.StringIO(text, newline="").readlines()
