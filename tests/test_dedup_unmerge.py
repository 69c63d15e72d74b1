"""Merges are reversible: a person's merge of two records carries their
votes and keeps every value; `mscdm unmerge` gives back exactly what was
there before (records, occurrences, terms, full-text index, statuses,
decisions in force); a copy merged as it loaded can be taken out into a
record of its own; the two are then never merged or proposed again."""

import json
import sqlite3

import pytest

from conftest import add_reviewers
from dedup_fixtures import load_files, partition, review_state, run
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol

KIM = "Kim J; Lee S; Park H"
RAT = {"title": "Exosomes from adipose mesenchymal stem cells accelerate diabetic wound"
                " healing in rats", "authors": KIM, "year": "2021",
       "journal": "Stem Cell Research & Therapy", "volume": "12", "pages": "100-110",
       "doi": "10.1000/w1", "abstract": "Rats healed faster.", "keywords": "exosome; wound",
       "type": "Journal Article"}
# The same article as Embase wrote it, with a word of the title translated
# differently: the engine queues it for a person instead of merging it.
MOUSE = {**RAT, "title": RAT["title"].replace("rats", "mice"), "doi": "",
         "journal": "Stem Cell Res Ther", "abstract": "", "keywords": "diabetes; exosome",
         "type": "Article", "pmid": "33445566"}
OTHER = {"title": "Umbilical cord vesicles in diabetic nephropathy: a randomised trial",
         "authors": "Ng T", "year": "2019", "journal": "Kidney International", "volume": "95",
         "pages": "1-9", "doi": "10.1000/other", "abstract": "Kidneys."}


def build(tmp_path):
    db = tmp_path / "review.db"
    load_files(db, tmp_path, ("PubMed", [RAT, OTHER]), ("Embase", [MOUSE]))
    add_reviewers(db)
    return db


def ids_by_title(db) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {title: rid for rid, title in conn.execute("SELECT id, title FROM records")}
    finally:
        conn.close()


def vote(db, name, record_id, decision, reason=None, stage="title_abstract"):
    conn = store.connect(db)
    try:
        with conn:
            store.record_decision(conn, parse_protocol(None), store.Reviewer(name, "reviewer"),
                                  record_id, stage, decision, reason)
    finally:
        conn.close()


def test_the_two_copies_wait_for_a_person(tmp_path):
    db = build(tmp_path)
    assert len(partition(db)) == 3
    listed = json.loads(run("duplicates", "list", db, "--json").output)
    assert listed["total"] == 1
    [pair] = listed["pairs"]
    assert any("rats / mice" in veto or "mice / rats" in veto for veto in pair["vetoes"])


def test_merge_carries_votes_keeps_every_value_and_unmerge_round_trips(tmp_path):
    db = build(tmp_path)
    ids = ids_by_title(db)
    rat, mouse = ids[RAT["title"]], ids[MOUSE["title"]]
    vote(db, "bob", rat, "include")
    vote(db, "carol", mouse, "exclude", "Wrong population")
    before = review_state(db)

    run("duplicates", "answer", db, rat, mouse, "duplicate", "--by", "alice")
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    merged = dict(conn.execute("SELECT * FROM records WHERE id = ?", [rat]).fetchone())
    assert conn.execute("SELECT count(*) FROM records WHERE id = ?", [mouse]).fetchone()[0] == 0
    # Every occurrence kept, each with the values it brought.
    occurrences = conn.execute("SELECT id, record_values FROM occurrences WHERE record_id = ?"
                               " ORDER BY id", [rat]).fetchall()
    assert len(occurrences) == 2 and all(o["record_values"] for o in occurrences)
    assert merged["occurrence_count"] == 2
    # Best value (the earlier copy's) and blanks filled; lists are unions.
    assert merged["title"] == RAT["title"] and merged["doi"] == "10.1000/w1"
    assert merged["pmid"] == "33445566"
    assert json.loads(merged["keywords"]) == ["exosome", "wound", "diabetes"]
    assert json.loads(merged["databases"]) == ["PubMed", "Embase"]
    # bob's include on one copy and carol's exclude on the other: a conflict.
    assert merged["ta_status"] == "conflict"
    carried = conn.execute("SELECT reviewer, decision, carried_from FROM decisions"
                           " WHERE record_id = ? AND carried_from IS NOT NULL", [rat]).fetchall()
    assert [(r["reviewer"], r["decision"]) for r in carried] == [("carol", "exclude")]
    log = dict(conn.execute("SELECT * FROM mscdm_merges WHERE merged_id = ?", [mouse]).fetchone())
    assert (log["merged_by"], log["matched_on"]) == ("alice", "person")
    assert log["score"] > 0 and json.loads(log["reasons"])
    conn.close()

    run("unmerge", db, mouse, "--by", "alice")
    after = review_state(db)
    for key in before:
        if key in ("records", "occurrences"):
            for x, y in zip(after[key], before[key]):
                assert x == y, {k: (x[k], y.get(k)) for k in x if x[k] != y.get(k)}
        assert after[key] == before[key], key
    # Never merged or proposed again, by the engine or a load.
    assert json.loads(run("duplicates", "list", db, "--json").output)["total"] == 0
    dedup = json.loads(run("dedup", db, "--json").output)
    assert dedup["merged"] == [] and dedup["queued"] == []


def test_a_conflict_of_one_reviewer_goes_to_the_lead(tmp_path):
    db = build(tmp_path)
    ids = ids_by_title(db)
    rat, mouse = ids[RAT["title"]], ids[MOUSE["title"]]
    vote(db, "bob", rat, "include")
    vote(db, "bob", mouse, "exclude", "Other")
    run("duplicates", "answer", db, rat, mouse, "duplicate", "--by", "alice")
    conn = store.connect(db)
    # Blind: until the second reviewer has voted, the record awaits them (a
    # conflict now would show everyone bob's votes on an open record).
    assert conn.execute("SELECT ta_status FROM records WHERE id = ?", [rat]).fetchone()[0] \
        == "awaiting second reviewer"
    assert store.lead_queue(conn) == []
    conn.close()
    vote(db, "carol", rat, "include")
    conn = store.connect(db)
    assert conn.execute("SELECT ta_status FROM records WHERE id = ?", [rat]).fetchone()[0] \
        == "conflict"
    assert [r["id"] for r in store.lead_queue(conn)] == [rat]
    [record] = store.lead_queue(conn)
    assert sorted(v["decision"] for v in record["votes"]) == ["exclude", "include", "include"]
    # The lead's ruling on the merged record settles it.
    with conn:
        store.record_decision(conn, parse_protocol(None), store.Reviewer("alice", "lead"), rat,
                              "title_abstract", "include", kind="resolution")
    assert conn.execute("SELECT ta_status FROM records WHERE id = ?", [rat]).fetchone()[0] \
        == "included"
    conn.close()


def test_agreeing_votes_on_two_copies_make_one_decision(tmp_path):
    db = build(tmp_path)
    ids = ids_by_title(db)
    rat, mouse = ids[RAT["title"]], ids[MOUSE["title"]]
    vote(db, "bob", rat, "include")
    vote(db, "carol", mouse, "include")
    run("duplicates", "answer", db, rat, mouse, "duplicate", "--by", "alice")
    conn = store.connect(db)
    assert conn.execute("SELECT ta_status FROM records WHERE id = ?", [rat]).fetchone()[0] \
        == "included"
    # The copy is not a second judgement: agreement counts none of it.
    from datasette_mscdm.reporting.agreement import agreement
    assert agreement(conn) == []
    conn.close()


def test_a_copy_merged_on_load_comes_out_as_a_record_of_its_own(tmp_path):
    db = tmp_path / "review.db"
    embase = {**RAT, "title": RAT["title"] + ". [Erratum appears in Stem Cell Res Ther 2022]",
              "abstract": "", "pmid": "33445566", "journal": "Stem Cell Res Ther"}
    load_files(db, tmp_path, ("PubMed", [RAT]), ("Embase", [embase]))
    assert partition(db) == [[("Embase", 1), ("PubMed", 1)]]
    alone = tmp_path / "alone.db"
    load_files(alone, tmp_path, ("PubMed", [RAT]))
    conn = sqlite3.connect(db)
    occurrence = conn.execute("SELECT o.id FROM occurrences o JOIN sources s"
                              " ON s.id = o.source_id WHERE s.database = 'Embase'").fetchone()[0]
    kept = conn.execute("SELECT pmid, journal FROM records").fetchone()
    assert kept == ("33445566", "Stem Cell Research & Therapy")
    conn.close()
    run("unmerge", db, "--occurrence", occurrence, "--by", "someone")
    assert partition(db) == [[("Embase", 1)], [("PubMed", 1)]]
    values = ("title", "abstract", "authors", "year", "journal", "volume", "pages", "doi", "pmid",
              "keywords", "publication_types", "databases", "missing_fields", "auto_tags",
              "occurrence_count")
    columns = ", ".join(values)
    first = sqlite3.connect(db).execute(f"SELECT {columns} FROM records ORDER BY id").fetchall()
    expected = sqlite3.connect(alone).execute(f"SELECT {columns} FROM records").fetchall()
    assert first[0] == expected[0]  # the record as if the copy had never joined
    assert first[1][0] == embase["title"] and first[1][8] == "33445566"
    # The copy keeps its occurrence; the pair is answered, so nothing re-merges it.
    assert json.loads(run("dedup", db, "--json").output)["merged"] == []


def test_unmerge_refuses_what_is_not_merged(tmp_path):
    db = build(tmp_path)
    ids = ids_by_title(db)
    result = run("unmerge", db, ids[RAT["title"]], "--by", "alice", expect=1)
    assert "not merged into another record" in result.output
    result = run("unmerge", db, "--occurrence", "999", "--by", "alice", expect=1)
    assert "was not merged as it loaded" in result.output
    result = run("duplicates", "answer", db, "1", "2", "duplicate", "--by", "bob", expect=2)
    assert "not a lead" in result.output


def test_an_anonymised_copy_names_no_one_who_merged(tmp_path):
    db = build(tmp_path)
    ids = ids_by_title(db)
    run("duplicates", "answer", db, ids[RAT["title"]], ids[MOUSE["title"]], "duplicate",
        "--by", "alice")
    run("unmerge", db, ids[MOUSE["title"]], "--by", "alice")
    out = tmp_path / "published.db"
    run("publish-copy", db, out, "--anonymise")
    assert b"alice" not in out.read_bytes()
    conn = sqlite3.connect(out)
    people = {r[0] for r in conn.execute(
        "SELECT merged_by FROM mscdm_merges UNION SELECT answered_by FROM mscdm_dedup_answers")}
    assert people == {"Reviewer 1"}  # alice, the first reviewer added
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM mscdm_merges")
    conn.close()


def test_every_read_of_decisions_after_a_merge(tmp_path, monkeypatch):
    """The queue (_MY_VOTE), locks, history, exports and progress read the
    carried votes as votes of the merged record."""
    from datasette_mscdm.reporting.export import export

    # A record voted on in the last 2 minutes is offered to others after the
    # rest (its voter may still undo): about time, not merges; off here.
    monkeypatch.setattr(store, "UNDO_GRACE_MINUTES", 0)

    db = build(tmp_path)
    ids = ids_by_title(db)
    rat, mouse, other = ids[RAT["title"]], ids[MOUSE["title"]], ids[OTHER["title"]]
    vote(db, "bob", mouse, "include")
    run("duplicates", "answer", db, rat, mouse, "duplicate", "--by", "alice")
    conn = store.connect(db)
    protocol = parse_protocol(None)
    # bob voted on the copy: the merged record is not offered to him again...
    offered = {store.next_record_id(conn, "bob", "title_abstract")}
    assert rat not in offered and offered <= {other}
    assert store.my_votes(conn, "bob")[(rat, "title_abstract")] == "include"
    assert store.progress(conn, "bob", "title_abstract")["my_done"] == 1
    # ...carol is, and her vote completes it.
    assert store.next_record_id(conn, "carol", "title_abstract") == rat
    with conn:
        result = store.record_decision(conn, protocol, store.Reviewer("carol", "reviewer"), rat,
                                       "title_abstract", "include")
    assert result["status"]["ta_status"] == "included"
    # Locked like any record with all its votes; an undo never takes the copy.
    with pytest.raises(store.ScreeningError, match="locked"):
        store.record_decision(conn, protocol, store.Reviewer("bob", "reviewer"), rat,
                              "title_abstract", "exclude", "Other")
    with pytest.raises(store.ScreeningError, match="nothing of yours to undo"):
        store.undo_last(conn, protocol, store.Reviewer("bob", "reviewer"), "title_abstract")
    history = store.history(conn, rat)["title_abstract"]
    assert [(d["reviewer"], d["origin"]) for d in history] == [("bob", mouse), ("carol", None)]
    lines = [r for r in export(conn, "csv").splitlines() if "bob: include" in r]
    assert len(lines) == 1 and RAT["title"] in lines[0]
    conn.close()
