"""Opening input files: gzip by magic bytes, checksum, encoding and line endings.

Exports arrive as UTF-8 (with or without BOM), UTF-16 with BOM, or
Latin-1/cp1252 from older reference managers, with LF, CRLF or CR-only line
endings. One streaming pass computes the checksum and decides the encoding;
the parse then reads the file again as a text stream, so memory stays flat
however large the file is. That stream keeps the line endings as they are in
the file (a line still ends at LF, CRLF or a lone CR): each record's raw text
is then an exact slice of the decoded file, CRLF and all.

Excel workbooks (.xlsx) are zip files, recognised by their bytes (a zip
holding xl/workbook.xml); they have no text encoding and are read by
formats/xlsx.py.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
XLSX = "xlsx"  # FileFacts.encoding of an Excel workbook: not text at all


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


def _cp1252_fallback(error: UnicodeDecodeError):
    # A byte sequence that is not UTF-8, in a file that is UTF-8 elsewhere:
    # a record pasted from an older Windows export.
    return error.object[error.start:error.end].decode("cp1252", "mscdm-latin1"), error.end


codecs.register_error("mscdm-cp1252", _cp1252_fallback)
MIXED = "utf-8+cp1252"  # FileFacts.encoding of a file that mixes the two

# What the UTF-8 check found, in text decoded with surrogateescape: bytes
# that are not UTF-8, and characters that took valid multi-byte UTF-8.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff\ufeff]")


@dataclass
class FileFacts:
    path: Path
    sha256: str
    bytes: int
    gzipped: bool
    # A Python codec name, ready for io.TextIOWrapper; XLSX for a workbook;
    # MIXED for UTF-8 with stretches of Windows-1252.
    encoding: str
    data: bytes | None = None  # the whole file, when it is small enough to keep

    @property
    def warning(self) -> str | None:
        """What a reader of the loaded text should know about its decoding."""
        if self.encoding == MIXED:
            return ("mixed encodings: the file is UTF-8 except for byte sequences that are not"
                    " (a record from an older Windows export?); those were read as"
                    " Windows-1252, each record's text as written")
        return None

    @property
    def is_workbook(self) -> bool:
        return self.encoding == XLSX


def _open_binary(path: Path, gzipped: bool):
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


class _EncodingCheck:
    """Decides a text encoding from a stream of chunks: a BOM, else UTF-8 if
    every byte decodes, else Windows-1252, or MIXED when the file has both
    valid multi-byte UTF-8 and bytes that are not UTF-8 (records pasted
    together from different exports): then each byte sequence is read as
    what it is, UTF-8 where it is valid UTF-8 and Windows-1252 elsewhere.
    Decoding the whole file either way would garble one of the two parts;
    a valid multi-byte UTF-8 sequence is almost never Windows-1252 text (it
    would read "Ã©"). NUL bytes outside UTF-16 mean the file is binary."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._offset = 0
        self._utf8 = True  # no byte so far that is not UTF-8
        self._multibyte = False  # some valid multi-byte UTF-8 seen
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
            if self._utf8 or not self._multibyte:
                self._check(self._decoder.decode(chunk))
        self._offset += len(chunk)

    def _check(self, text: str):
        if text.isascii():
            return
        if self._utf8 and _NOT_UTF8.search(text):
            self._utf8 = False
        if not self._multibyte and _MULTIBYTE.search(text):
            self._multibyte = True

    def encoding(self) -> str:
        if self.bom == "utf-16":
            return "utf-16"
        self._check(self._decoder.decode(b"", final=True))
        if self._utf8:
            return self.bom or "utf-8"
        if self._multibyte:
            return MIXED
        # Not UTF-8: the exports that are not are Windows-1252 (a superset of
        # Latin-1's printable range), written by EndNote and older databases.
        return "cp1252"


def is_xlsx(path: Path) -> bool:
    """A zip file holding an Excel workbook part (what every .xlsx is)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


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
        zipped = first[:4] == ZIP_MAGIC
        data = first if len(first) < CHUNK and not gzipped and not zipped else None
        chunk = first
        while chunk:
            digest.update(chunk)
            size += len(chunk)
            if not gzipped and not zipped:
                check.feed(chunk)
            chunk = raw.read(CHUNK)
    if size == 0:
        raise LoadError("empty file")
    if zipped:
        if is_xlsx(path):
            return FileFacts(path, digest.hexdigest(), size, False, XLSX, None)
        raise LoadError("a zip archive that is not an Excel workbook (.xlsx): unzip it first")
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


def open_text(facts: FileFacts, newline: str | None = "") -> tuple[io.TextIOWrapper,
                                                                   CountingReader]:
    """A text stream over the file. By default lines end at LF, CRLF or CR
    and keep their endings as in the file (newline=""), so parsers can cut
    each record's exact text; newline=None translates every ending to LF."""
    if facts.is_workbook:
        raise LoadError("an Excel workbook has no text to read", "whole file")
    if facts.data is not None:
        source = io.BytesIO(facts.data)
    else:
        source = _open_binary(facts.path, facts.gzipped)
    counter = CountingReader(source)
    encoding, errors = facts.encoding, "strict"
    if encoding == "cp1252":
        errors = "mscdm-latin1"
    elif encoding == MIXED:
        encoding, errors = "utf-8", "mscdm-cp1252"
    buffer_size = max(io.DEFAULT_BUFFER_SIZE, min(CHUNK, facts.bytes))
    text = io.TextIOWrapper(
        io.BufferedReader(counter, buffer_size), encoding=encoding, errors=errors,
        newline=newline,
    )
    return text, counter


def read_head(facts: FileFacts, size: int = 65536) -> str:
    """The first characters of the file, for format detection (line endings
    translated to LF, so signatures can match at line starts)."""
    text, _ = open_text(facts, newline=None)
    with text:
        return text.read(size)


def read_decoded(facts: FileFacts) -> str:
    """The whole file as decoded text, line endings as in the file: the text
    every record's raw text is a slice of."""
    text, _ = open_text(facts)
    with text:
        return text.read()


def line_content(line: str) -> str:
    """A line without its ending (LF, CRLF or CR)."""
    return line.rstrip("\r\n")
