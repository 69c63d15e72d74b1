"""Loading behaviour: idempotency, exact-duplicate merging, full-text index,
source inference, directories, atomicity under a kill, the CLI as a process."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

import synthetic
from conftest import CORPUS, DATA, fts_matches_records
from datasette_mscdm.cli import cli

MEDLINE = CORPUS / "exports/medline_nbib/synthesisr/PubMed_example.txt"


def load(*args):
    return CliRunner().invoke(cli, ["load", *map(str, args)])


def test_reload_is_idempotent_and_says_so(fresh_db, rows):
    assert load(fresh_db, DATA).exit_code == 0
    before = rows(fresh_db, "select count(*) n from records")[0]["n"]
    result = load(fresh_db, DATA)
    assert result.exit_code == 0
    assert result.output.count("skipped") >= 2
    assert "already loaded as source" in result.output
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == before
    assert rows(fresh_db, "select count(*) n from occurrences")[0]["n"] == 2
    assert rows(fresh_db, "select count(*) n from sources")[0]["n"] == 2


def test_exact_duplicates_merge_and_fill_blanks(tmp_path, fresh_db, rows):
    # The same work three ways: by DOI (RIS), by PMID (CSV without DOI), and
    # by title + year + first author (CSV with neither).
    (tmp_path / "a.ris").write_text(
        "TY  - JOUR\nTI  - Exosomes from adipose MSCs heal diabetic wounds\nAU  - Kim, Ju-El\n"
        "PY  - 2021\nDO  - https://doi.org/10.1000/XYZ\nKW  - exosome\nER  - \n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(
        "title,authors,year,pmid,abstract,journal,keywords\n"
        '"Exosomes from adipose MSCs heal diabetic wounds.",Kim J,2021,123,"An abstract.",'
        'Biomaterials,"wound; exosome"\n', encoding="utf-8")
    (tmp_path / "c.csv").write_text(
        "Title,Author,Year,DOI,PMID\n"
        '"Exosomes From Adipose MSCs Heal Diabetic Wounds",Kim JE,2021,10.1000/xyz,123\n'
        '"EXOSOMES from adipose MSCs: heal diabetic wounds",Kim JE,2021,,\n', encoding="utf-8")
    assert load(fresh_db, tmp_path / "a.ris").exit_code == 0
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(tmp_path / "b.csv"),
                                      str(tmp_path / "c.csv"), "--json"])
    assert result.exit_code == 0, result.output
    [record] = rows(fresh_db, "select * from records")
    assert record["doi"] == "10.1000/xyz"
    assert record["abstract"] == "An abstract."   # filled from b.csv
    assert record["journal"] == "Biomaterials"
    assert record["pmid"] == "123"
    assert json.loads(record["keywords"]) == ["exosome", "wound"]
    assert record["occurrence_count"] == 4
    matched = [r["matched_on"] for r in rows(fresh_db, "select matched_on from occurrences order by id")]
    assert matched == ["new", "title_year_author", "doi", "title_year_author"]


def test_different_dois_are_never_merged_on_title(tmp_path, fresh_db, rows):
    (tmp_path / "x.csv").write_text(
        "title,authors,year,doi\nErratum,Smith J,2020,10.1000/a\nErratum,Smith J,2020,10.1000/b\n",
        encoding="utf-8")
    assert load(fresh_db, tmp_path / "x.csv").exit_code == 0
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == 2


def test_full_text_search_is_built_and_kept_in_sync(fresh_db, rows):
    load(fresh_db, DATA, MEDLINE)
    assert fts_matches_records(fresh_db)
    # porter stemming: "exosome" finds "exosomes"
    hits = rows(fresh_db, "select rowid from records_fts where records_fts match 'exosome'")
    assert len(hits) >= 1
    conn = sqlite3.connect(fresh_db)
    with conn:
        conn.execute("update records set title = 'Zebrafish retinopathy' where id = ?",
                     [hits[0]["rowid"]])
        conn.execute("update records set year = 1999")  # not an indexed column
    conn.close()
    assert rows(fresh_db, "select rowid from records_fts where records_fts match 'zebrafish'")
    assert fts_matches_records(fresh_db)


def test_source_database_inferred_or_given(tmp_path, fresh_db, rows):
    load(fresh_db, DATA, MEDLINE, CORPUS / "exports/wos_plaintext/synthesisr/WoS_txt_example.txt")
    databases = {r["format"]: r["database"] for r in rows(fresh_db, "select * from sources")}
    assert databases == {"seed-aggregator": "Semantic Scholar",
                         "seed-summary": "AI research assistant",
                         "medline": "PubMed", "wos": "Web of Science"}
    copy = tmp_path / "mine.ris"
    copy.write_text("TY  - JOUR\nTI  - A title\nER  - \n", encoding="utf-8")
    load(fresh_db, copy)
    # Nothing names the database: none is stored (never the file name).
    assert rows(fresh_db, "select database from sources order by id desc")[0]["database"] is None
    unnamed = rows(fresh_db, "select o.database, r.databases from occurrences o"
                             " join records r on r.id = o.record_id order by o.id desc")[0]
    assert unnamed == {"database": None, "databases": "[]"}
    other = tmp_path / "other.ris"
    other.write_text("TY  - JOUR\nTI  - B title\nER  - \n", encoding="utf-8")
    CliRunner().invoke(cli, ["load", str(fresh_db), str(other), "--source", "{EMBASE}"])
    last = rows(fresh_db, "select * from occurrences order by id desc")[0]
    assert last["database"] == "Embase"  # normalised as it is stored
    assert rows(fresh_db, "select database from sources order by id desc")[0]["database"] == \
        "Embase"


def test_directories_are_walked_recursively_skipping_hidden(tmp_path, fresh_db, rows):
    nested = tmp_path / "exports" / "deeper"
    nested.mkdir(parents=True)
    (nested / "x.ris").write_text("TY  - JOUR\nTI  - Deep\nER  - \n", encoding="utf-8")
    (tmp_path / "exports" / ".DS_Store").write_bytes(b"\0\0junk")
    (tmp_path / "exports" / "README.md").write_text("# Exports from 2025\n", encoding="utf-8")
    (tmp_path / "exports" / "vocabulary.yml").write_text("groups: []\n", encoding="utf-8")
    result = load(fresh_db, tmp_path / "exports")
    assert result.exit_code == 0, result.output
    assert [r["title"] for r in rows(fresh_db, "select title from records")] == ["Deep"]
    # Named explicitly, a file is loaded whatever its name (and here fails).
    assert load(fresh_db, tmp_path / "exports" / "README.md").exit_code == 1


def _mscdm():
    return [sys.executable, "-c", "from datasette_mscdm.cli import cli; cli()"]


def test_cli_as_a_subprocess_exit_codes(tmp_path, fresh_db):
    ok = subprocess.run([*_mscdm(), "load", str(fresh_db), str(DATA)], capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    assert "2 file(s) loaded" in ok.stdout
    empty = tmp_path / "empty.ris"
    empty.write_bytes(b"")
    failed = subprocess.run([*_mscdm(), "load", str(fresh_db), str(empty)], capture_output=True,
                            text=True)
    assert failed.returncode == 1
    assert f"error: {empty}: empty file" in failed.stderr
    usage = subprocess.run([*_mscdm(), "load", str(fresh_db)], capture_output=True, text=True)
    assert usage.returncode == 2


def test_kill_during_load_then_rerun_finishes(tmp_path, fresh_db, rows):
    records = synthetic.make_records(40000, seed=7)
    big = synthetic.write_ris(tmp_path / "big.ris", records)
    assert load(fresh_db, MEDLINE).exit_code == 0
    process = subprocess.Popen([*_mscdm(), "load", str(fresh_db), str(big)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill once the big file's transaction has started writing (the WAL grows).
    wal = f"{fresh_db}-wal"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if os.path.exists(wal) and os.path.getsize(wal) > 2_000_000:
            break
        time.sleep(0.02)
    assert process.poll() is None, "load finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    # The process that was reading ahead for it notices and ends too.
    assert _gone_within(10, lambda: not _processes_mentioning(str(big)))
    # Consistent: nothing of the big file, the earlier file intact.
    assert rows(fresh_db, "pragma integrity_check")[0]["integrity_check"] == "ok"
    assert [s["path"] for s in rows(fresh_db, "select path from sources")] == [os.path.abspath(MEDLINE)]
    assert rows(fresh_db, "select count(*) n from occurrences")[0]["n"] == 3
    assert fts_matches_records(fresh_db)
    # Rerunning the same command finishes the job.
    again = subprocess.run([*_mscdm(), "load", str(fresh_db), str(MEDLINE), str(big)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert rows(fresh_db, "select count(*) n from occurrences")[0]["n"] == 3 + 40000
    distinct = len({r["doi"] for r in records})
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == 3 + distinct
    assert fts_matches_records(fresh_db)


def test_kill_while_creating_the_database_then_rerun_finishes(tmp_path, fresh_db, rows):
    # A load that creates the database writes under a rollback journal (no
    # WAL): killed mid-way, the journal undoes it; the database is WAL again
    # once a load finishes.
    records = synthetic.make_records(30000, seed=8)
    big = synthetic.write_ris(tmp_path / "big.ris", records)
    process = subprocess.Popen([*_mscdm(), "load", str(fresh_db), str(big)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not os.path.exists(fresh_db) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(3)  # well into the file (it takes ~10 s)
    assert process.poll() is None, "load finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _gone_within(10, lambda: not _processes_mentioning(str(big)))
    assert rows(fresh_db, "pragma integrity_check")[0]["integrity_check"] == "ok"
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == 0
    assert rows(fresh_db, "select count(*) n from sources")[0]["n"] == 0
    again = subprocess.run([*_mscdm(), "load", str(fresh_db), str(big)], capture_output=True,
                           text=True)
    assert again.returncode == 0, again.stderr
    assert rows(fresh_db, "select count(*) n from occurrences")[0]["n"] == 30000
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == len({r["doi"] for r in records})
    assert rows(fresh_db, "pragma journal_mode")[0]["journal_mode"] == "wal"
    assert fts_matches_records(fresh_db)


def _processes_mentioning(text: str) -> list[int]:
    """Processes whose command line contains `text` (the read-ahead child has its
    parent's command line)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def _gone_within(seconds: float, condition) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_progress_bar_on_a_terminal_only(tmp_path, fresh_db):
    import pty

    big = synthetic.write_ris(tmp_path / "big.ris", synthetic.make_records(8000, seed=3))
    # stderr on a pseudo-terminal: a load of a few seconds shows a progress bar.
    controller, terminal = pty.openpty()
    process = subprocess.Popen([*_mscdm(), "load", str(fresh_db), str(big)],
                               stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait() == 0
    os.close(controller)
    assert b"Loading" in shown and b"100%" in shown
    # Not a terminal (a pipe): no bar.
    again = subprocess.run([*_mscdm(), "load", str(tmp_path / "other.db"), str(big)],
                           capture_output=True)
    assert again.returncode == 0 and b"Loading" not in again.stderr


def test_a_folder_walk_skips_files_that_are_no_export_but_a_named_one_fails(tmp_path):
    folder = tmp_path / "searches"
    folder.mkdir()
    (folder / "pubmed.ris").write_text("TY  - JOUR\nTI  - A record\nER  - \n", encoding="utf-8")
    (folder / "MANIFEST.csv").write_text("file,sha256,records\npubmed.ris,abc,1\n",
                                         encoding="utf-8")
    (folder / "ids.txt").write_text("12345\n23456\n", encoding="utf-8")
    db = tmp_path / "review.db"
    result = CliRunner().invoke(cli, ["load", str(db), str(folder), "--json"])
    assert result.exit_code == 0, result.output
    statuses = {Path(r["path"]).name: (r["status"], r["error"])
                for r in json.loads(result.stdout)}
    assert statuses["pubmed.ris"][0] == "loaded"
    for name in ("MANIFEST.csv", "ids.txt"):
        assert statuses[name][0] == "skipped"
        assert statuses[name][1].startswith("not a bibliographic export")
    named = CliRunner().invoke(cli, ["load", str(db), str(folder / "MANIFEST.csv")])
    assert named.exit_code == 1 and "unrecognised format" in named.output
