"""`mscdm reviewer add|list|remove` through CliRunner and as a subprocess."""

import json
import sqlite3
import subprocess
import sys

from click.testing import CliRunner

from conftest import build_review_db
from datasette_mscdm.cli import cli
from datasette_mscdm.screening.passwords import verify_password


def run(*args, input=None):
    return CliRunner().invoke(cli, ["reviewer", *map(str, args)], input=input)


def test_add_list_remove(tmp_path):
    db = build_review_db(tmp_path / "review.db", tmp_path)
    # Prompted twice; only a salted hash is stored.
    result = run("add", db, "alice", "--role", "lead",
                 input="open sesame 42\nopen sesame 42\n")
    assert result.exit_code == 0, result.output
    assert "Added lead alice" in result.output
    assert run("add", db, "bob", "--password-stdin", input="bob password\n").exit_code == 0
    conn = sqlite3.connect(db)
    stored = dict(conn.execute("select name, password_hash from mscdm_reviewers"))
    assert "open sesame" not in stored["alice"] and stored["alice"].startswith("scrypt$")
    assert verify_password("open sesame 42", stored["alice"])
    assert stored["alice"] != stored["bob"]
    listed = json.loads(run("list", db, "--json").output)
    assert [(r["name"], r["role"], r["removed_at"]) for r in listed] == [
        ("alice", "lead", None), ("bob", "reviewer", None)]
    conn.execute("insert into decisions (record_id, stage, reviewer, decision, created_at)"
                 " values (1, 'title_abstract', 'bob', 'include', 'now')")
    conn.commit()
    result = run("remove", db, "bob")
    assert result.exit_code == 0 and "decisions stay" in result.output
    assert conn.execute("select count(*) from decisions where reviewer = 'bob'").fetchone() == (1,)
    text = run("list", db).output
    assert "bob" in text and "removed" in text and "1 decisions" in text
    conn.close()


def test_errors_exit_1_and_usage_errors_exit_2(tmp_path):
    db = build_review_db(tmp_path / "review.db", tmp_path)
    assert run("add", db, "carl", "--password-stdin", input="short\n").exit_code == 1
    assert run("add", db, "dora", "--password-stdin", input="long enough pw\n").exit_code == 0
    again = run("add", db, "dora", "--password-stdin", input="long enough pw\n")
    assert again.exit_code == 1 and "already exists" in again.output
    assert run("remove", db, "nobody").exit_code == 1
    assert run("add", db, "erin", "--role", "boss", "--password-stdin",
               input="long enough pw\n").exit_code == 2


def test_as_a_subprocess(tmp_path):
    db = build_review_db(tmp_path / "review.db", tmp_path)
    mscdm = [sys.executable, "-m", "datasette_mscdm"]
    added = subprocess.run([*mscdm, "reviewer", "add", str(db), "frank", "--password-stdin"],
                           input="frank's password\n", capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([*mscdm, "reviewer", "list", str(db)], capture_output=True,
                            text=True)
    assert listed.returncode == 0 and "frank" in listed.stdout
