"""Reading ahead: the files of a load are inspected, detected, parsed and
prepared (preparing.py) in a forked child process, which streams the results
through a pipe while this process stores the files before them. On a small
machine that runs the two halves of a load, each about half its time, on two
cores at once.

Only this process touches the database, in one transaction with a savepoint
per file, so a file still loads whole or not at all. The child never opens
the database: it is told at the start which checksums are already loaded, so
it does not parse files the loader will skip. If this process dies, the
child's next write fails (broken pipe) and it exits; if the child dies, this
process sees the pipe close and fails the file it was reading.

The child tags records only while the loader keeps it waiting; while the
loader waits for the child, it tags them itself (see _Outbox).

Messages, in file order (sent in lists, to keep pipe writes few):
    ("file", facts | None, error | None, format name | None)
        facts None: the file could not be inspected (error says why);
        format None and no error: already loaded, not parsed;
    then, for a file being parsed, ("batch", [Prepared], bytes read)...
    and ("end", bytes read) or ("error", message, where).
An error is ("load", message, where) or ("read", message).
"""

from __future__ import annotations

import array
import collections
import dataclasses
import multiprocessing
import sys
from pathlib import Path
from typing import Iterator

from . import formats
from .preparing import FileInput, Prepared, PreparedRecords
from .tagging import Vocabulary
from .textio import FileFacts, LoadError, inspect_file

# Loads of at least this many bytes read ahead (forking costs a few
# milliseconds; this much input takes a second or more to load).
MIN_BYTES = 1 << 20
# Prepared records per "batch" message, and records (or messages) per pipe
# write. Small enough that the pipe holds several writes: whether it is empty
# when this process writes says whether the loader is waiting (_Outbox).
BATCH = 50
MESSAGES_PER_WRITE = 50
# The pipe's capacity (Linux; elsewhere the system's default). A write of
# 50 records with abstracts is about 250 KB: with Linux's default 64 KB
# pipe the child blocks on every write until the loader has read it, so each
# pause of the loader (indexing a batch of rows, writing buffered ones) also
# stalls the child. A 1 MB pipe holds a few writes, and the two halves of a
# load wait on each other far less (a load of 10k RIS records, timed inside:
# the child's time blocked in writes went from 0.31 s to 0.02 s).
PIPE_BYTES = 1 << 20
# Forking is fast and shares the vocabulary for free; elsewhere (macOS,
# Windows) fork is unsafe or absent and the child starts afresh.
START_METHOD = "fork" if sys.platform == "linux" else "spawn"


def read_ahead(paths: list[Path], format_module, vocabulary: Vocabulary,
               loaded_sha256: set[str]) -> Iterator[FileInput]:
    """FileInputs for `paths`, in order, prepared by a child process. Close
    the generator (or run it out) to stop the child."""
    context = multiprocessing.get_context(START_METHOD)
    reader, writer = context.Pipe(duplex=False)
    widen_pipe(reader.fileno())
    child = context.Process(
        target=_child, name="mscdm-read-ahead", daemon=True,
        args=(reader, writer, paths, format_module.NAME if format_module else None, vocabulary,
              loaded_sha256))
    child.start()
    writer.close()  # the child now holds the only write end: EOF when it ends
    channel = _Channel(reader, child)
    try:
        for path in paths:
            file = _ChildInput(path, format_module, vocabulary, channel)
            yield file
            file.read_past()
    finally:
        reader.close()  # a child still writing gets a broken pipe and stops
        if child.is_alive():
            child.terminate()
        child.join()


def widen_pipe(fd: int, size: int = PIPE_BYTES) -> bool:
    """Give the pipe `size` bytes of capacity where the system allows it
    (Linux's F_SETPIPE_SZ, up to /proc/sys/fs/pipe-max-size and the user's
    pipe quota); elsewhere, or when refused, it keeps its default size, which
    works, only slower. Whether it was widened."""
    try:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except (ImportError, AttributeError, OSError):
        return False
    return True


def pipe_unread(fd: int) -> int | None:
    """Bytes written to the pipe and not read yet (FIONREAD), asked of
    either end; None where the system does not say. Only Linux answers for
    the write end (both ends share one buffer); macOS and the BSDs answer 0
    there whatever the pipe holds, which would read as a loader always
    waiting, so elsewhere the reading process simply tags every record."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import fcntl
        import termios
        unread = array.array("i", [0])
        fcntl.ioctl(fd, termios.FIONREAD, unread, True)
    except (ImportError, AttributeError, OSError):
        return None
    return unread[0]


class _Channel:
    """The messages from the child, one at a time."""

    def __init__(self, reader, child):
        self.reader = reader
        self.child = child
        self.pending: collections.deque = collections.deque()

    def next(self) -> tuple:
        while not self.pending:
            try:
                self.pending.extend(self.reader.recv())
            except (EOFError, OSError) as error:
                # EOFError: it ended between two messages; OSError ("got end
                # of file during message"): it died while writing one.
                self.child.join(5)
                detail = f"exit code {self.child.exitcode}"
                if isinstance(error, OSError):
                    detail += f", after part of a message ({error})"
                raise LoadError("the process reading ahead stopped unexpectedly",
                                detail) from None
        return self.pending.popleft()


class _ChildInput(FileInput):
    """A file the child inspects and prepares; FileInput's interface."""

    def __init__(self, path: Path, format_module, vocabulary: Vocabulary, channel: _Channel):
        super().__init__(path, format_module, vocabulary)
        self.channel = channel
        self._header: tuple | None = None
        self._records: _ChildRecords | None = None

    def _read_header(self) -> tuple:
        if self._header is None:
            kind, facts, error, format_name = self.channel.next()
            assert kind == "file", f"read-ahead out of step at {self.path}: {kind}"
            self._header = (facts, error, format_name)
        return self._header

    def facts(self) -> FileFacts:
        facts, error, _ = self._read_header()
        if facts is None:
            _raise(error)
        self._facts = facts
        return facts

    def open(self):
        facts, error, format_name = self._read_header()
        if error:
            _raise(error)
        if format_name is None:
            # The child skipped it as already loaded, but the loader did not
            # (its first copy in this run failed): read it here instead.
            return super().open()
        records = self._child_records()
        return records.module, records

    def _child_records(self) -> _ChildRecords:
        if self._records is None:
            facts, _, format_name = self._read_header()
            self._records = _ChildRecords(facts, formats.BY_NAME[format_name], self.channel)
        return self._records

    def read_past(self):
        """Once the loader is done with this file, read past whatever of it
        the loader did not take: all of it when the loader skipped a file the
        child parsed (another process loaded the same bytes meanwhile), the
        rest when it stopped early."""
        try:
            _, error, format_name = self._read_header()
            if format_name and not error:
                self._child_records().drain()
        except LoadError:
            pass  # the child has gone: the next file will say so


class _ChildRecords(PreparedRecords):
    def __init__(self, facts: FileFacts, module, channel: _Channel):
        super().__init__(facts, module, vocabulary=None)
        self.channel = channel
        self.finished = False

    def __iter__(self) -> Iterator[Prepared]:
        while not self.finished:
            kind, *payload = self.channel.next()
            if kind == "batch":
                batch, self.bytes_read = payload
                yield from batch
            elif kind == "end":
                self.finished = True
                self.bytes_read = payload[0]
            else:
                self.finished = True
                raise LoadError(*payload)

    def drain(self):
        """Read past what is left of this file (the loader stopped early)."""
        while not self.finished:
            kind, *_ = self.channel.next()
            self.finished = kind in ("end", "error")


def _raise(error: tuple):
    if error[0] == "read":
        raise OSError(error[1])
    raise LoadError(error[1], error[2])


class _Outbox:
    """Messages to the loader, written a list at a time.

    It also says whether the loader is waiting for them: when a write finds
    the pipe empty, the loader has taken every message sent so far, so this
    process is the slower half of the load. Its records are then sent
    without their tags, which the loader makes (preparing.add_tags) from the
    same values, so the result is the same. Once the loader falls behind
    (the pipe still holds a message), this process tags again. The split
    follows the load: a file with many duplicates keeps the loader busier
    (and a merged copy needs no tags at all). Where the pipe cannot say what
    it holds (pipe_unread: all but Linux), this process tags every record."""

    def __init__(self, writer):
        self.writer = writer
        self.messages: list[tuple] = []
        self.weight = 0
        self.loader_waiting = False

    def put(self, message: tuple, weight: int = 1):
        self.messages.append(message)
        self.weight += weight
        if self.weight >= MESSAGES_PER_WRITE:
            self.flush()

    def flush(self):
        if self.messages:
            self.loader_waiting = pipe_unread(self.writer.fileno()) == 0
            self.writer.send(self.messages)
            self.messages, self.weight = [], 0


def _child(reader, writer, paths: list[Path], format_name: str | None,
           vocabulary: Vocabulary, loaded_sha256: set[str]):
    # Hold no read end: when the loader dies, the pipe then has no reader and
    # the next send fails (broken pipe) instead of blocking for ever.
    reader.close()
    outbox = _Outbox(writer)
    format_module = formats.BY_NAME[format_name] if format_name else None
    try:
        for path in paths:
            _prepare_file(outbox, path, format_module, vocabulary, loaded_sha256)
        outbox.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the loader has gone or is stopping: nothing more to tell it
    finally:
        writer.close()


def _prepare_file(outbox: _Outbox, path: Path, format_module, vocabulary: Vocabulary,
                  loaded_sha256: set[str]):
    try:
        facts = inspect_file(path)
    except LoadError as error:
        return outbox.put(("file", None, ("load", error.message, error.where), None))
    except (OSError, UnicodeError) as error:
        return outbox.put(("file", None, ("read", str(error)), None))
    # The small file's bytes kept in memory need not cross the pipe.
    header = dataclasses.replace(facts, data=None)
    if facts.sha256 in loaded_sha256:
        return outbox.put(("file", header, None, None))
    loaded_sha256.add(facts.sha256)  # a second copy later in the run will be skipped
    try:
        module = format_module or formats.detect_file(facts)
    except LoadError as error:
        return outbox.put(("file", header, ("load", error.message, error.where), None))
    except (OSError, UnicodeError) as error:
        return outbox.put(("file", header, ("read", str(error)), None))
    outbox.put(("file", header, None, module.NAME))
    records = PreparedRecords(facts, module, vocabulary, tag=lambda: not outbox.loader_waiting)
    batch: list[Prepared] = []
    try:
        for prepared in records:
            batch.append(prepared)
            if len(batch) >= BATCH:
                outbox.put(("batch", batch, records.bytes_read), len(batch))
                batch = []
        if batch:
            outbox.put(("batch", batch, records.bytes_read), len(batch))
        outbox.put(("end", records.bytes_read))
    except LoadError as error:
        outbox.put(("error", error.message, error.where))
    except BrokenPipeError:
        raise
    except Exception as error:  # reading failed (the file vanished, a disk error)
        outbox.put(("error", f"{type(error).__name__}: {error}", None))
