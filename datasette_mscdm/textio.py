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
    data: bytes | None = None  # the whole file, when it is small enough to keep


def _open_binary(path: Path, gzipped: bool):
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


class _EncodingCheck:
    """Decides a text encoding from a stream of chunks: a BOM, else UTF-8 if
    every byte decodes, else Windows-1252. NUL bytes outside UTF-16 mean the
    file is binary."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0
        self._utf8 = True
        self.bom: str | None = None

    def feed(self, chunk: bytes):
        if self._offset == 0:
            if chunk.startswith(codecs.BOM_UTF8):
                self.bom = "utf-8-sig"
            elif chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                self.bom = "utf-16"
        if self.bom != "utf-16":
            nul = chunk.find(b"\x00")
            if nul >= 0:
                raise LoadError("binary data, not a text export",
                                f"NUL byte at byte {self._offset + nul}")
            if self._utf8:
                try:
                    self._decoder.decode(chunk)
                except UnicodeDecodeError:
                    self._utf8 = False
        self._offset += len(chunk)

    def encoding(self) -> str:
        if self.bom == "utf-16":
            return "utf-16"
        if self._utf8:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._utf8 = False
        if self._utf8:
            return self.bom or "utf-8"
        # Not UTF-8: the exports that are not are Windows-1252 (a superset of
        # Latin-1's printable range), written by EndNote and older databases.
        return "cp1252"


def inspect_file(path: Path) -> FileFacts:
    """Checksum of the bytes on disk and the encoding of the (decompressed)
    text, in one pass for plain files; a file smaller than one chunk is kept
    in memory so it is read from disk only once."""
    path = Path(path)
    digest = hashlib.sha256()
    size = 0
    check = _EncodingCheck()
    with open(path, "rb") as raw:
        first = raw.read(CHUNK)
        gzipped = first[:2] == GZIP_MAGIC
        data = first if len(first) < CHUNK and not gzipped else None
        chunk = first
        while chunk:
            digest.update(chunk)
            size += len(chunk)
            if not gzipped:
                check.feed(chunk)
            chunk = raw.read(CHUNK)
    if size == 0:
        raise LoadError("empty file")
    if gzipped:
        try:
            with gzip.open(path, "rb") as stream:
                for chunk in iter(lambda: stream.read(CHUNK), b""):
                    check.feed(chunk)
        except (OSError, EOFError) as error:
            raise LoadError(f"corrupt gzip data: {error}") from error
    return FileFacts(path, digest.hexdigest(), size, gzipped, check.encoding(), data)


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
    if facts.data is not None:
        source = io.BytesIO(facts.data)
    else:
        source = _open_binary(facts.path, facts.gzipped)
    counter = CountingReader(source)
    errors = "mscdm-latin1" if facts.encoding == "cp1252" else "strict"
    buffer_size = max(io.DEFAULT_BUFFER_SIZE, min(CHUNK, facts.bytes))
    text = io.TextIOWrapper(
        io.BufferedReader(counter, buffer_size), encoding=facts.encoding, errors=errors,
        newline=None,
    )
    return text, counter


def read_head(facts: FileFacts, size: int = 65536) -> str:
    """The first characters of the file, for format detection."""
    text, _ = open_text(facts)
    with text:
        return text.read(size)
