"""Reading ahead (files parsed in a second process while the loader stores
them) loads exactly what a serial load does, and fails cleanly when that
process dies."""

import hashlib
import itertools
import multiprocessing
import os
import shutil
import signal
import sqlite3
import sys

from click.testing import CliRunner

import synthetic
from conftest import CORPUS, fts_matches_records
from datasette_mscdm.cli import cli
from datasette_mscdm.loader import Loader, open_database

GOOD = CORPUS / "exports/medline_nbib/synthesisr/PubMed_example.txt"  # 3 records


def table(db, sql):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_read_ahead_loads_exactly_what_a_serial_load_loads(tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(CORPUS / "exports", inputs / "exports")
    shutil.copy(GOOD, inputs / "again-the-same-file.txt")  # skipped: same bytes
    (inputs / "empty.ris").write_bytes(b"")
    (inputs / "truncated.xml").write_text(
        '<?xml version="1.0"?>\n<PubmedArticleSet><PubmedArticle><MedlineCitation>'
        "<PMID>2</PMID><Article><ArticleTitle>Two", encoding="utf-8")
    databases = {}
    for mode in ("--read-ahead", "--serial"):
        db = tmp_path / f"{mode.strip('-')}.db"
        result = CliRunner().invoke(cli, ["load", str(db), str(inputs), "--json", mode])
        assert result.exit_code == 1, result.output  # the two broken files
        databases[mode] = db
    columns = [row[1] for row in table(databases["--serial"], "pragma table_info(records)")
               if row[1] not in ("created_at", "updated_at")]
    queries = [
        f"select {', '.join(columns)} from records order by id",
        "select source_id, position, line, record_id, database, matched_on, raw"
        " from occurrences order by id",
        "select path, format, database, sha256, bytes, records, new_records, merged, status,"
        " error, warnings from sources order by id",
        "select * from record_terms order by facet, term, record_id",
    ]
    for sql in queries:
        serial = table(databases["--serial"], sql)
        assert serial, sql
        assert table(databases["--read-ahead"], sql) == serial, sql
    statuses = table(databases["--read-ahead"], "select status, count(*) from sources group by 1")
    assert dict(statuses)["failed"] == 2
    assert fts_matches_records(databases["--read-ahead"])


def test_a_reading_process_that_dies_fails_its_file_and_leaves_nothing_of_it(tmp_path):
    big = synthetic.write_ris(tmp_path / "big.ris", synthetic.make_records(6000, seed=11))
    after = tmp_path / "after.ris"
    after.write_text("TY  - JOUR\nTI  - A file after the failure\nER  - \n", encoding="utf-8")
    db = tmp_path / "review.db"
    killed, calls = [], []

    def kill_the_reader(_bytes):
        # The first call is the end of GOOD; the second comes 500 records into
        # the big file: kill the process reading it there.
        calls.append(_bytes)
        if len(calls) < 2:
            return
        for child in multiprocessing.active_children():
            if child.name == "mscdm-read-ahead" and not killed:
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)

    database = open_database(db)
    loader = Loader(database, read_ahead=True, on_progress=kill_the_reader)
    results = loader.load_paths([GOOD, big, after])
    database.conn.close()
    assert killed
    assert [r.status for r in results] == ["loaded", "failed", "failed"]
    assert "the process reading ahead stopped unexpectedly" in results[1].error
    assert table(db, "pragma integrity_check") == [("ok",)]
    assert table(db, "select count(*) from records") == [(3,)]
    assert table(db, "select count(*) from occurrences") == [(3,)]
    assert fts_matches_records(db)
    assert not [c for c in multiprocessing.active_children() if c.name == "mscdm-read-ahead"]
    # Loading again (reading ahead again) finishes the job.
    database = open_database(db)
    results = Loader(database, read_ahead=True).load_paths([GOOD, big, after])
    database.conn.close()
    assert [r.status for r in results] == ["skipped", "loaded", "loaded"]
    assert table(db, "select count(*) from occurrences") == [(3 + 6000 + 1,)]


def test_a_file_loaded_elsewhere_meanwhile_is_skipped_and_the_next_file_still_loads(tmp_path):
    # The reading process was told at the start which files are loaded; if the
    # same bytes get loaded after that (here: a sources row slipped in while
    # the first file loads), the loader skips a file the reader has parsed and
    # must read past its records to reach the next file's.
    first = synthetic.write_ris(tmp_path / "first.ris", synthetic.make_records(700, seed=21))
    twin = synthetic.write_ris(tmp_path / "twin.ris", synthetic.make_records(700, seed=22))
    last = synthetic.write_ris(tmp_path / "last.ris", synthetic.make_records(700, seed=23))
    db = tmp_path / "review.db"
    database = open_database(db)
    twin_sha256 = hashlib.sha256(twin.read_bytes()).hexdigest()

    def load_the_twin_elsewhere(_bytes):
        if not database.conn.execute("SELECT 1 FROM sources WHERE sha256 = ?",
                                     [twin_sha256]).fetchone():
            database.conn.execute(
                "INSERT INTO sources (path, sha256, bytes, loaded_at, status)"
                " VALUES ('elsewhere', ?, 1, 'now', 'loaded')", [twin_sha256])

    loader = Loader(database, read_ahead=True, on_progress=load_the_twin_elsewhere)
    results = loader.load_paths([first, twin, last])
    database.conn.close()
    assert [r.status for r in results] == ["loaded", "skipped", "loaded"], results
    assert table(db, "select count(*) from occurrences") == [(1400,)]


def test_read_ahead_in_a_spawned_process_as_on_macos_and_windows(tmp_path, monkeypatch):
    # Where fork is not used, the child starts afresh and everything it needs
    # (paths, vocabulary, the pipe) must cross to it pickled.
    from datasette_mscdm import readahead

    monkeypatch.setattr(readahead, "START_METHOD", "spawn")
    db = tmp_path / "review.db"
    database = open_database(db)
    results = Loader(database, read_ahead=True).load_paths([CORPUS / "exports" / "ris"])
    database.conn.close()
    assert results and all(r.status == "loaded" for r in results), results
    assert table(db, "select count(*) from occurrences") == [(sum(r.records for r in results),)]
    assert table(db, "select count(*) from record_terms where facet = 'database'")[0][0] > 0


def _write_part_of_a_message(writer):
    # A Connection message is a 4-byte big-endian length, then the bytes:
    # announce 1,000 bytes, write 10, and die, as a process killed mid-write does.
    os.write(writer.fileno(), (1000).to_bytes(4, "big") + b"x" * 10)
    os._exit(9)


def test_a_reading_process_that_dies_in_the_middle_of_a_message_is_reported_as_such():
    """Killed while writing a message, the process leaves part of it in the
    pipe: the loader says the reading process stopped (not a bare OSError)."""
    import pytest
    from datasette_mscdm.readahead import _Channel
    from datasette_mscdm.textio import LoadError
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_write_part_of_a_message, args=(writer,))
    child.start()
    writer.close()
    with pytest.raises(LoadError) as raised:
        _Channel(reader, child).next()
    assert raised.value.message == "the process reading ahead stopped unexpectedly"
    assert "exit code 9" in raised.value.where and "part of a message" in raised.value.where
    reader.close()


def _pipe_sizes() -> list[int]:
    """The capacities of the pipes this process holds open (Linux)."""
    import fcntl
    sizes = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("pipe:"):
                sizes.append(fcntl.fcntl(int(name), fcntl.F_GETPIPE_SZ))
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)
    return sizes


def test_the_pipe_from_the_reading_process_holds_several_writes(tmp_path):
    """With Linux's default 64 KB pipe the reading process blocks on every
    write (a few hundred KB) until the loader reads it, so each pause of the
    loader stalls it too: the pipe is widened where the system allows it."""
    import pytest
    from datasette_mscdm import readahead
    if not sys.platform.startswith("linux"):
        pytest.skip("pipe sizes are Linux's")
    before = _pipe_sizes()
    database = open_database(tmp_path / "r.db")
    inputs = readahead.read_ahead([GOOD], None, Loader(database).vocabulary, set())
    database.conn.close()
    file = next(inputs)  # the child is running, the pipe open
    assert file.facts().path == GOOD
    widened = [size for size in _pipe_sizes() if size >= readahead.PIPE_BYTES]
    assert len(widened) == len([s for s in before if s >= readahead.PIPE_BYTES]) + 1
    inputs.close()
    reader, writer = os.pipe()
    assert readahead.widen_pipe(writer) is True
    assert __import__("fcntl").fcntl(reader, __import__("fcntl").F_GETPIPE_SZ) >= 1 << 20
    os.close(reader), os.close(writer)
    assert readahead.widen_pipe(writer) is False  # closed: refused, and no error


def test_tags_left_to_the_loader_are_the_tags_a_serial_load_makes(tmp_path, monkeypatch):
    """The reading process leaves records' tags to the loader while the
    loader waits for it (the pipe is empty when it writes): whichever process
    tags them, records, tags and facet terms are the serial load's."""
    from datasette_mscdm import readahead
    inputs = tmp_path / "inputs"
    shutil.copytree(CORPUS / "exports" / "ris", inputs / "ris")
    synthetic.write_ris(inputs / "synthetic.ris", synthetic.make_records(600, seed=5))
    queries = ["select id, title, auto_tags, databases from records order by id",
               "select * from record_terms order by facet, term, record_id"]
    answers = {}
    turns = itertools.cycle([0, 0, 1])  # the reader's writes find the pipe empty, twice in three
    for mode, unread in (("serial", None), ("loader tags", lambda fd: 0),
                         ("reader tags", lambda fd: 1), ("both", lambda fd: next(turns))):
        if unread is not None:
            monkeypatch.setattr(readahead, "pipe_unread", unread)
        db = tmp_path / f"{mode}.db"
        result = CliRunner().invoke(cli, ["load", str(db), str(inputs),
                                          "--serial" if unread is None else "--read-ahead"])
        assert result.exit_code == 0, result.output
        answers[mode] = [table(db, sql) for sql in queries]
    tagged = [row for row in answers["serial"][0] if row[2] not in (None, "{}")]
    assert len(tagged) > 300 and answers["serial"][1]
    assert answers["loader tags"] == answers["serial"]
    assert answers["reader tags"] == answers["serial"]
    assert answers["both"] == answers["serial"]


def test_pipe_unread_counts_the_bytes_waiting_in_a_pipe(monkeypatch):
    import pytest
    from datasette_mscdm.readahead import pipe_unread
    if not sys.platform.startswith("linux"):
        assert pipe_unread(0) is None  # not asked: the reading process tags every record
        pytest.skip("only Linux answers FIONREAD for a pipe's write end")
    reader, writer = os.pipe()
    assert pipe_unread(writer) == 0
    os.write(writer, b"x" * 1000)
    assert pipe_unread(writer) == 1000 and pipe_unread(reader) == 1000
    os.read(reader, 400)
    assert pipe_unread(writer) == 600
    # macOS and the BSDs answer 0 for a write end whatever the pipe holds:
    # not asked there, or the loader would seem to wait for ever.
    monkeypatch.setattr(sys, "platform", "darwin")
    assert pipe_unread(writer) is None
    monkeypatch.undo()
    os.close(reader), os.close(writer)
    assert pipe_unread(writer) is None
