"""20 reviewers posting decisions at once against a real `datasette serve`:
every decision is stored exactly once and every status matches the
decisions."""

import sqlite3
import threading
import uuid

from click.testing import CliRunner

import synthetic
from conftest import add_reviewers, password_of
from datasette_mscdm.cli import cli
from datasette_mscdm.screening import rules
from screen_client import ReviewerClient
from serve import serve

REVIEWERS = 20
DECISIONS_EACH = 12


def test_twenty_reviewers_at_once_lose_nothing(tmp_path):
    db = tmp_path / "review.db"
    export = synthetic.write_ris(tmp_path / "records.ris", synthetic.make_records(150))
    assert CliRunner().invoke(cli, ["load", str(db), str(export)]).exit_code == 0
    names = [f"reviewer{i:02}" for i in range(REVIEWERS)]
    add_reviewers(db, {name: "reviewer" for name in names})
    posted, failures = [], []
    lock = threading.Lock()

    def screen(name, base):
        try:
            client = ReviewerClient(base)
            client.login(name, password_of(name))
            record = client.next()["record"]
            for i in range(DECISIONS_EACH):
                request_id = uuid.uuid4().hex
                decision = ("include", "exclude", "maybe")[(hash(name) + i) % 3]
                status, body = client.decide(record["id"], decision, request_id=request_id,
                                             reason="Other" if decision == "exclude" else None)
                if status != 201:
                    raise AssertionError(f"{name}: HTTP {status} {body}")
                # A retry of the same request (a flaky network) records nothing new.
                if i == 0:
                    again, _ = client.decide(record["id"], decision, request_id=request_id)
                    assert again == 200
                with lock:
                    posted.append((request_id, name, record["id"], decision))
                record = body["next"]["record"]
                if record is None:
                    break
        except Exception as error:  # reported below, with the reviewer's name
            failures.append(f"{name}: {error!r}")

    with serve(db) as base:
        threads = [threading.Thread(target=screen, args=(name, base)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert not failures, failures
    assert len(posted) == REVIEWERS * DECISIONS_EACH

    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    # Stored as "<reviewer>\x1f<client's id>": a request id is its reviewer's.
    stored = {r["request_id"].split("\x1f", 1)[1]: r for r in conn.execute(
        "select * from decisions")}
    assert len(stored) == len(posted)
    for request_id, name, record_id, decision in posted:
        row = stored[request_id]
        assert (row["reviewer"], row["record_id"], row["decision"]) == (name, record_id, decision)
    # Every record's status is what its decisions say.
    for record in conn.execute("select id, ta_status from records"):
        rows = [dict(r) for r in conn.execute(
            "select * from decisions where record_id = ? and stage = 'title_abstract'"
            " order by id", [record["id"]])]
        assert record["ta_status"] == rules.stage_status(rows, 2)[0], record["id"]
    conn.close()
