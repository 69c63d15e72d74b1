"""Duplicates in the live review, class by class (issue 13): exports of
each kind written as CSV files of their own, loaded with the real CLI one
after the other (new records are matched against everything loaded before),
then `mscdm dedup` over the whole review, which must agree. Then the shared
labelled sets, loaded through the real loader, against floors."""

import json
import sqlite3
from random import Random

import pytest
from rapidfuzz.distance import Indel

from conftest import CORPUS
from dedup_fixtures import csv_export, load_files, partition, run
from datasette_mscdm.dedup.evaluate import count, load_benchmark
from datasette_mscdm.dedup.scoring import MIN_TRUNCATED_CHARS, TRUNCATION_FACTOR
from datasette_mscdm.duplicates.live import alike_titles, compacts_of
from datasette_mscdm.duplicates.tables import file_clusters
from datasette_mscdm.loader import Loader, open_database

AUTHORS = "Kim J; Lee S; Park H"
TITLE = "Exosomes from adipose mesenchymal stem cells accelerate diabetic wound healing"
ARTICLE = {"title": TITLE, "authors": AUTHORS, "year": "2021",
           "journal": "Stem Cell Research & Therapy", "volume": "12", "issue": "1",
           "pages": "100-110", "doi": "10.1186/s13287-021-0100-1", "type": "Journal Article"}


def copy(**changes):
    return {**ARTICLE, **changes}


SUPPLEMENT = {"journal": "Diabetologia", "volume": "62", "issue": "Suppl 1",
              "doi": "10.1007/s00125-019-4946-6", "type": "Conference Abstract", "year": "2019"}
SICI = "10.1002/(SICI)1097-0258(19980815/30)17:15/16<1661::AID-SIM968>3.0.CO;2-2"

CASES = {
    # ---- false merges the exact rule made: never merged now
    "supplement abstracts sharing the issue's DOI": (
        [("Embase", [
            {**SUPPLEMENT, "title": "Glycaemic control after islet transplantation in type 1"
                                    " diabetes", "authors": "Ruiz M", "pages": "S100"},
            {**SUPPLEMENT, "title": "Adipose tissue macrophages in obese mice fed a high fat"
                                    " diet", "authors": "Berg K", "pages": "S101"},
            {**SUPPLEMENT, "title": "Retinal vessel calibre predicts nephropathy in adolescents",
             "authors": "Costa P", "pages": "S102"}])],
        [[("Embase", 1)], [("Embase", 2)], [("Embase", 3)]]),
    "a DOI cut short is nobody's": (
        [("Embase", [copy(doi="10.1186"), copy(title="Insulin resistance in the elderly: a"
                                                      " cohort", doi="10.1186", pages="5-9")])],
        [[("Embase", 1)], [("Embase", 2)]]),
    "SICI DOIs differing after the '<'": (
        [("Web of Science", [copy(doi=SICI), copy(title="Survival analysis of censored trial data in"
                                             " diabetes", pages="1673-1690",
                                       doi=SICI.replace("1661::AID-SIM968", "1673::AID-SIM969"))])],
        [[("Web of Science", 1)], [("Web of Science", 2)]]),
    "a conference abstract and the journal article": (
        [("PubMed", [copy()]),
         ("Embase", [copy(journal="Diabetes", volume="70", issue="Suppl 1", pages="A123",
                          doi="", type="Conference Abstract", year="2020")])],
        [[("Embase", 1)], [("PubMed", 1)]]),
    "one guideline printed in two journals": (
        [("PubMed", [{"title": "2019 ESC Guidelines on diabetes, pre-diabetes, and"
                               " cardiovascular diseases developed in collaboration with the"
                               " EASD", "authors": "Cosentino F; Grant PJ", "year": "2020",
                      "journal": "European Heart Journal", "volume": "41", "issue": "2",
                      "pages": "255-323", "type": "Practice Guideline"},
                     {"title": "2019 ESC Guidelines on diabetes, pre-diabetes, and"
                               " cardiovascular diseases developed in collaboration with the"
                               " EASD", "authors": "Cosentino F; Grant PJ", "year": "2020",
                      "journal": "Diabetes and Vascular Disease Research", "volume": "17",
                      "issue": "1", "pages": "1-70", "type": "Practice Guideline"}])],
        [[("PubMed", 1)], [("PubMed", 2)]]),
    "repeated editorials of one journal": (
        [("Scopus", [{"title": "Editor's comments", "authors": "Smith J", "year": "2019",
                      "journal": "Journal of Wound Care", "volume": "28", "issue": str(i),
                      "pages": "1", "type": "Editorial"} for i in range(1, 5)])],
        [[("Scopus", i)] for i in range(1, 5)]),
    "two letters in different volumes": (
        [("PubMed", [{"title": "Re: Exosome therapy for diabetic wounds", "authors": "Lee K",
                      "year": "2021", "journal": "Wound Repair and Regeneration",
                      "volume": v, "pages": p, "type": "Letter"}
                     for v, p in (("29", "12"), ("30", "12"))])],
        [[("PubMed", 1)], [("PubMed", 2)]]),
    "an erratum is not the article": (
        [("PubMed", [copy()]), ("Embase", [copy(title="Erratum: " + TITLE, pages="200",
                                                doi="10.1186/s13287-021-0200-2")])],
        [[("Embase", 1)], [("PubMed", 1)]]),
    # ---- misses of the exact rule: merged now
    "notes appended by databases": (
        [("PubMed", [copy()]), ("Ovid", [copy(title=TITLE + ". [Review] [45 refs]", doi="")]),
         ("CRD", [copy(title=TITLE + " (Provisional abstract)", doi="", authors="")]),
         ("Embase", [copy(title=TITLE + ". [Erratum appears in Stem Cell Res Ther 2022;13:5]",
                          doi="")])],
        [[("CRD", 1), ("Embase", 1), ("Ovid", 1), ("PubMed", 1)]]),
    "a translated title and a language tag": (
        [("PubMed", [copy(title="[" + TITLE + "]. [Russian]", doi="")]),
         ("Embase", [copy(title=TITLE + " [Article in Russian]")])],
        [[("Embase", 1), ("PubMed", 1)]]),
    "a dropped subtitle and a typo": (
        [("PubMed", [copy(title=TITLE + ": a randomised controlled trial in rats")]),
         ("Scopus", [copy(title=TITLE.replace("accelerate", "acelerate"), doi="")])],
        [[("PubMed", 1), ("Scopus", 1)]]),
    "punctuation inside words": (
        [("PubMed", [copy(title="p16(INK4a) and K(ATP) channels in diabetic beta cells after"
                                " exosome therapy")]),
         ("Web of Science", [copy(title="p16INK4a and KATP channels in diabetic beta cells after exosome"
                             " therapy", doi="")])],
        [[("PubMed", 1), ("Web of Science", 1)]]),
    "author variants: compound surnames and group authors": (
        [("PubMed", [copy(authors="van der Graaf Y; Visseren FL; SMART Study Group", doi="")]),
         ("Embase", [copy(authors="Van Graaf Y.; Visseren F. L.", doi="")])],
        [[("Embase", 1), ("PubMed", 1)]]),
    "a percent-encoded DOI": (
        [("PubMed", [copy(doi="10.1016/S0306-3623(98)00050-0")]),
         ("Embase", [copy(doi="https://doi.org/10.1016/S0306-3623%2898%2900050-0",
                          authors="")])],
        [[("Embase", 1), ("PubMed", 1)]]),
    "a SICI DOI percent-encoded": (
        [("PubMed", [copy(doi=SICI)]),
         ("Embase", [copy(doi=SICI.replace("<", "%3C").replace(">", "%3E"), authors="",
                          title=TITLE + " [Article in German]")])],
        [[("Embase", 1), ("PubMed", 1)]]),
    # The first copy has no DOI; the third has nothing else in common with
    # it (no authors, no venue): it finds the record by the second copy's DOI.
    "a third copy that matches only the second copy's DOI": (
        [("PubMed", [copy(doi="")]),
         ("Embase", [copy()]),
         ("Web of Science", [{"title": TITLE.upper() + " [Review]", "doi": ARTICLE["doi"],
                   "pmid": "34000001", "year": "2021"}])],
        [[("Embase", 1), ("PubMed", 1), ("Web of Science", 1)]]),
    "a year off by one and a copy without authors": (
        [("PubMed", [copy(year="2022", doi="")]), ("Scopus", [copy(authors="", doi="")])],
        [[("PubMed", 1), ("Scopus", 1)]]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_duplicate_class(tmp_path, name):
    files, expected = CASES[name]
    db = tmp_path / "review.db"
    load_files(db, tmp_path, *files)
    assert partition(db) == expected, "on load"
    # The whole review, with the rare-words blocking and the cluster guard, agrees.
    result = json.loads(run("dedup", db, "--json").output)
    assert partition(db) == expected, ("after mscdm dedup", result["merged"])


def test_a_load_keeps_every_key_of_every_copy(tmp_path):
    """The third copy finds the record by the second copy's DOI, and a
    fourth by the PMID only the third copy had."""
    db = tmp_path / "review.db"
    load_files(db, tmp_path, *CASES["a third copy that matches only the second copy's DOI"][0])
    fourth = {"title": TITLE.lower(), "pmid": "34000001"}
    load_files(db, tmp_path, ("Other", [fourth]))
    [group] = partition(db)
    assert len(group) == 4
    conn = sqlite3.connect(db)
    [(values,)] = conn.execute("SELECT count(*) FROM occurrences WHERE record_values IS NOT NULL"
                               ).fetchall()
    assert values == 4  # every copy keeps the values it brought


def test_maybe_pairs_are_queued_not_merged(tmp_path):
    db = tmp_path / "review.db"
    load_files(db, tmp_path, ("PubMed", [copy()]),
               ("Embase", [copy(title=TITLE.replace("diabetic", "burn"), doi="")]),
               ("Scopus", [copy(title=TITLE.replace("adipose", "bone marrow"), doi="")]))
    assert len(partition(db)) == 3
    # A load says how many pairs it queued.
    (tmp_path / "more.csv").write_text(csv_export(copy(title=TITLE.replace("wound", "ulcer"),
                                                       doi="")), encoding="utf-8")
    said = run("load", db, tmp_path / "more.csv")
    assert "possible duplicate pair(s) wait for a person" in said.output
    per_file = json.loads(run("load", db, tmp_path / "more.csv", "--json").output)
    assert per_file[0]["status"] == "skipped"
    listed = json.loads(run("duplicates", "list", db, "--json").output)
    assert listed["total"] >= 1
    assert all(0 < p["score"] <= 1 and p["reasons"] for p in listed["pairs"])
    # The load says so, and `mscdm dedup` does not queue them twice.
    again = json.loads(run("dedup", db, "--json").output)
    assert again["queued"] == []


# Floors for the live path (load, then `mscdm dedup`), measured with
# scripts/bench_dedup.py, a little below the figures it prints.
LIVE_FLOORS = {"asysd_diabetes": (0.99, 0.9995), "rathbone2015_cytology_screening": (0.98, 0.9995),
               "special_cases": (1.0, 1.0)}


@pytest.mark.parametrize("name", sorted(LIVE_FLOORS))
def test_shared_sets_through_the_loader(tmp_path, name):
    folder = CORPUS / "dedup" / name
    if not folder.is_dir():
        pytest.skip("shared corpus not present")
    benchmark = load_benchmark(folder)
    [csv_file] = sorted(folder.glob("*records_with_groups.csv"))
    db = tmp_path / "review.db"
    run("load", db, csv_file)
    run("dedup", db)
    conn = sqlite3.connect(db)
    clusters = file_clusters(conn, 1, benchmark.ids)
    conn.close()
    counts = count(benchmark.ids, benchmark.groups, clusters)
    sensitivity, specificity = LIVE_FLOORS[name]
    assert counts.sensitivity >= sensitivity, counts.line()
    assert counts.specificity >= specificity, counts.line()


# ---------------------------------------------------------------- the cheap title check

def pair_alike(x, y, cutoff):
    """The per-pair rule alike_titles answers for many candidates at once."""
    if Indel.normalized_similarity(x, y) >= cutoff:
        return True
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    return (len(short) >= MIN_TRUNCATED_CHARS
            and Indel.normalized_similarity(short, long[:len(short)]) >= cutoff / TRUNCATION_FACTOR)


def test_alike_titles_is_the_pair_rule_for_every_candidate():
    """On the shared sets' titles, each against its own group, random others
    and copies cut short, with a typo or a note: the batch answer is the pair
    rule's for every candidate, and each branch of the rule is met."""
    benchmark = load_benchmark(CORPUS / "dedup" / "asysd_diabetes")
    titles = [t for t in compacts_of(title for r in benchmark.records for title in r.titles)]
    random = Random(13)
    variants = {"cut": lambda t: t[: max(MIN_TRUNCATED_CHARS, int(len(t) * 0.7))],
                "typo": lambda t: t[:len(t) // 2] + t[len(t) // 2 + 1:],
                "longer": lambda t: t + "asystematicreviewandmetaanalysis"}
    met = {"whole": 0, "prefix only": 0, "neither": 0}
    for cutoff in (0.8, 0.9):
        for x in random.sample(titles, 300):
            others = random.sample(titles, 20) + [f(x) for f in variants.values()]
            candidates = {index: tuple(others[index: index + random.choice((1, 2))])
                          for index in range(len(others))}
            xs = (x, random.choice(titles)) if random.random() < 0.2 else (x,)
            expected = {c for c, ys in candidates.items()
                        if any(pair_alike(a, b, cutoff) for a in xs for b in ys)}
            assert alike_titles(xs, candidates, cutoff) == expected
            for ys in candidates.values():
                for y in ys:
                    if Indel.normalized_similarity(x, y) >= cutoff:
                        met["whole"] += 1
                    elif pair_alike(x, y, cutoff):
                        met["prefix only"] += 1
                    else:
                        met["neither"] += 1
    assert all(met.values()), met
    assert alike_titles(("abc",), {}, 0.8) == set()
    assert alike_titles((), {1: ("abc",)}, 0.8) == set()


def test_a_load_finds_what_another_process_loaded_between_its_commits(tmp_path, fresh_db):
    """A load into an empty review searches the key index only for keys it
    wrote itself; once another connection has committed (here a second
    `mscdm load`), every key is searched again, so its records are found."""
    other = {"title": "Metformin and cognitive decline in older adults with type 2 diabetes",
             "authors": "Ngo T; Fry L", "year": "2018", "journal": "Diabetes Care",
             "volume": "41", "pages": "2201-2208", "doi": "10.2337/dc18-0001"}
    files = {"first": [ARTICLE], "second": [other], "third": [{**other, "pages": "2201-8"}]}
    for name, records in files.items():
        (tmp_path / f"{name}.csv").write_text(csv_export(*records), encoding="utf-8")
    loader = Loader(open_database(fresh_db), read_ahead=False)
    loader.load_paths([tmp_path / "first.csv"])
    assert loader.matcher.memory_index  # the table was empty: keys kept in memory
    run("load", fresh_db, tmp_path / "second.csv")
    [third] = loader.load_paths([tmp_path / "third.csv"])
    assert loader.matcher.memory_index is None
    assert (third.new, third.merged) == (0, 1)
    loader.db.conn.close()


def test_keys_held_across_files_survive_a_rolled_back_file(tmp_path, fresh_db):
    """Keys are written in batches across files, not per file: the keys of
    the files before a file that fails half-way (its savepoint rolled back)
    must still be written, and a later load in another process, which can
    only search the table, must find their records."""
    other = {"title": "Metformin and cognitive decline in older adults with type 2 diabetes",
             "authors": "Ngo T; Fry L", "year": "2018", "journal": "Diabetes Care",
             "volume": "41", "pages": "2201-2208", "doi": "10.2337/dc18-0001"}
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "1-first.csv").write_text(csv_export(ARTICLE), encoding="utf-8")
    # A record of its own, then a broken line: the whole file rolls back.
    (folder / "2-broken.jsonl").write_text(
        json.dumps(other) + "\n" + '{"title": broken\n', encoding="utf-8")
    (folder / "3-copy.csv").write_text(csv_export({**ARTICLE, "pages": ""}), encoding="utf-8")
    loader = Loader(open_database(fresh_db), read_ahead=False)
    first, broken, copy = loader.load_paths([folder])
    assert broken.status == "failed" and (first.new, copy.merged) == (1, 1)
    conn = sqlite3.connect(fresh_db)
    [[record_id]] = conn.execute("SELECT id FROM records").fetchall()
    keys = conn.execute("SELECT count(*) FROM mscdm_dedup_keys WHERE record_id = ?",
                        [record_id]).fetchone()[0]
    assert keys >= 4  # DOI, title start and end, author + year ...
    # Nothing of the rolled-back record is left in the table.
    assert conn.execute("SELECT count(*) FROM mscdm_dedup_keys WHERE record_id != ?",
                        [record_id]).fetchone()[0] == 0
    conn.close()
    (tmp_path / "later.csv").write_text(csv_export({**ARTICLE, "doi": ""}), encoding="utf-8")
    (tmp_path / "fixed.csv").write_text(csv_export(other), encoding="utf-8")
    out = run("load", fresh_db, tmp_path / "later.csv", tmp_path / "fixed.csv", "--json")
    later, fixed = json.loads(out.output)
    assert (later["new"], later["merged"]) == (0, 1)
    assert (fixed["new"], fixed["merged"]) == (1, 0)
