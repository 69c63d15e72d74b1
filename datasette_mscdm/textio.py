"""Opening input files: gzip by magic bytes, checksum, encoding and line endings.

Exports arrive as UTF-8 (with or without BOM), UTF-16 with BOM, or
Latin-1/cp1252 from older reference managers, with LF, CRLF or CR-only line
endings. One streaming pass computes the checksum and decides the encoding;
the parse then reads the file again as a text stream with universal newlines,
so memory stays flat however large the file is.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


class LoadError(Exception):
    """A file (or one record in it) that cannot be loaded; `where` says where."""

    def __init__(self, message: str, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self):
        return f"{self.message} ({self.where})" if self.where else self.message


def _latin1_fallback(error: UnicodeDecodeError):
    # cp1252 leaves five bytes undefined; read them as Latin-1 rather than fail.
    return error.object[error.start:error.end].decode("latin-1"), error.end


codecs.register_error("mscdm-latin1", _latin1_fallback)


@dataclass
class FileFacts:
    path: Path
    sha256: str
    bytes: int
    gzipped: bool
    encoding: str  # a Python codec name, ready for io.TextIOWrapper


def _open_binary(path: Path, gzipped: bool):
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def inspect_file(path: Path) -> FileFacts:
    """Checksum of the bytes on disk, and the encoding of the (decompressed) text."""
    path = Path(path)
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        for chunk in iter(lambda: raw.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    if size == 0:
        raise LoadError("empty file")
    try:
        encoding = _detect_encoding(path, gzipped)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise LoadError(f"corrupt gzip data: {error}") from error
    return FileFacts(path, digest.hexdigest(), size, gzipped, encoding)


def _detect_encoding(path: Path, gzipped: bool) -> str:
    with _open_binary(path, gzipped) as stream:
        head = stream.read(4)
        if head.startswith(codecs.BOM_UTF8):
            bom_encoding = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        else:
            bom_encoding = None
        stream.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        valid_utf8 = True
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                raise LoadError("binary data, not a text export", f"NUL byte at byte {offset + nul}")
            if valid_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    valid_utf8 = False
            offset += len(chunk)
        if valid_utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                valid_utf8 = False
    if valid_utf8:
        return bom_encoding or "utf-8"
    # Not UTF-8: the exports that are not are Windows-1252 (a superset of
    # Latin-1's printable range), written by EndNote and older databases.
    return "cp1252"


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts bytes read, for progress reporting."""

    def __init__(self, stream):
        self._stream = stream
        self.count = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self):
        self._stream.close()
        super().close()


def open_text(facts: FileFacts) -> tuple[io.TextIOWrapper, CountingReader]:
    """A text stream over the file with universal newlines (LF, CRLF, CR)."""
    counter = CountingReader(_open_binary(facts.path, facts.gzipped))
    errors = "mscdm-latin1" if facts.encoding == "cp1252" else "strict"
    text = io.TextIOWrapper(
        io.BufferedReader(counter, CHUNK), encoding=facts.encoding, errors=errors, newline=None
    )
    return text, counter


def read_head(facts: FileFacts, size: int = 65536) -> str:
    """The first characters of the file, for format detection."""
    text, _ = open_text(facts)
    with text:
        return text.read(size)
