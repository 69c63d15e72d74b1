"""Identifiers (issue 12, classes 4 and 6): DOIs are normalised as the DOI
Handbook says and never markup-cleaned, so SICI DOIs (`<` `>` inside) stay
whole and unrelated works of one journal year no longer merge; a DOI field
that is not a DOI is kept in extra with a warning; PMIDs in RIS accession
numbers of MEDLINE/PubMed records land in `pmid`."""

import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import CORPUS
from datasette_mscdm.cli import cli
from datasette_mscdm.formats.ris import pmid_in_accession
from datasette_mscdm.records import INVALID_DOI_KEY, Record, normalise_doi


def load(db, *paths):
    result = CliRunner().invoke(cli, ["load", str(db), *map(str, paths), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def occurrences(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            "select o.raw, o.matched_on, r.* from occurrences o join records r"
            " on r.id = o.record_id order by o.source_id, o.position")]
    finally:
        conn.close()


SICI_FILES = [
    ("exports/ris/asysd/zotero_export.ris", re.compile(r"^DO  - (.+?)\r?$", re.M)),
    ("exports/endnote_xml/asysd/zotero_export.xml",
     re.compile(r"<electronic-resource-num>(?:<style[^>]*>)?(.+?)(?:</style>)?"
                r"</electronic-resource-num>")),
]


@pytest.mark.parametrize("name,doi_field", SICI_FILES, ids=[n for n, _ in SICI_FILES])
def test_every_record_keeps_its_whole_doi(name, doi_field, fresh_db):
    load(fresh_db, CORPUS / name)
    sici = 0
    for row in occurrences(fresh_db):
        match = doi_field.search(row["raw"])
        if not match:
            continue
        given = match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        sici += "<" in given
        # The record (first occurrence or the one it merged into) has this
        # occurrence's whole DOI: a merge on a cut DOI would break this.
        assert row["doi"] == normalise_doi(given), given
    assert sici > 0, "the file has SICI DOIs"


def test_sici_dois_of_one_journal_year_do_not_merge(tmp_path, fresh_db):
    path = tmp_path / "sici.ris"
    path.write_text(
        "TY  - JOUR\nTI  - Oocyte maturation in mice\nPY  - 1999\n"
        "DO  - 10.1002/(SICI)1098-2795(199907)53:3<266::AID-MRD2>3.0.CO;2-6\nER  - \n\n"
        "TY  - JOUR\nTI  - Sperm motility in bulls\nPY  - 1999\n"
        "DO  - 10.1002/(SICI)1098-2795(199907)53:3<337::AID-MRD11>3.0.CO;2-9\nER  - \n",
        encoding="utf-8")
    [source] = load(fresh_db, path)
    assert (source["new"], source["merged"]) == (2, 0)
    assert [r["doi"] for r in occurrences(fresh_db)] == [
        "10.1002/(sici)1098-2795(199907)53:3<266::aid-mrd2>3.0.co;2-6",
        "10.1002/(sici)1098-2795(199907)53:3<337::aid-mrd11>3.0.co;2-9"]


def test_doi_prefixes_and_percent_escapes_in_every_doi_field(tmp_path, fresh_db):
    ris = tmp_path / "a.ris"
    ris.write_text("TY  - JOUR\nTI  - A\nDO  - https://doi.org/10.1000%2FABC%28x%29\nER  - \n",
                   encoding="utf-8")
    csv = tmp_path / "b.csv"
    csv.write_text("Title,DOI\nB,doi:10.1000/DEF\n", encoding="utf-8")
    nbib = tmp_path / "c.nbib"
    nbib.write_text("PMID- 1\nTI  - C\nLID - 10.1000/GHI [doi]\n", encoding="utf-8")
    load(fresh_db, ris, csv, nbib)
    assert [r["doi"] for r in occurrences(fresh_db)] == ["10.1000/abc(x)", "10.1000/def",
                                                         "10.1000/ghi"]


def test_invalid_doi_is_kept_in_extra_with_a_warning(tmp_path, fresh_db):
    path = tmp_path / "bad-doi.ris"
    path.write_text("TY  - JOUR\nTI  - Malformed DOI\nDO  - 10.1037.a0037593\nER  - \n",
                    encoding="utf-8")
    [source] = load(fresh_db, path)
    [record] = occurrences(fresh_db)
    assert record["doi"] is None
    assert json.loads(record["extra"])[INVALID_DOI_KEY] == "10.1037.a0037593"
    assert source["warnings"] == [
        "record 1: not a valid DOI, kept in extra: '10.1037.a0037593'"]


@pytest.mark.parametrize("accession,sources,pmid", [
    ("12345678", ["MEDLINE"], "12345678"),
    ("12345678", ["Ovid MEDLINE(R) ALL"], "12345678"),
    ("30776994", ["NLM"], "30776994"),  # EndNote's DP for records from PubMed
    ("30776994", ["PubMed"], "30776994"),
    ("PMID:30776994", [], "30776994"),
    ("PMID: 30776994", ["Embase"], "30776994"),
    ("2005123456", ["MEDLINE"], None),  # nine or more digits: not a PMID
    ("12345678", ["Embase"], None),
    ("12345678", [], None),
    ("WOS:000185378600013", ["Web of Science"], None),
    (None, ["MEDLINE"], None),
])
def test_pmid_in_accession(accession, sources, pmid):
    assert pmid_in_accession(accession, *sources) == pmid


def test_ris_pmids_from_medline_sources_match_pubmed_records(tmp_path, fresh_db):
    nbib = tmp_path / "pubmed.nbib"
    nbib.write_text("PMID- 30776994\nTI  - Impact of balloon guide catheter use\nDP  - 2019\n",
                    encoding="utf-8")
    ris = tmp_path / "endnote.ris"
    ris.write_text(
        "TY  - JOUR\nTI  - Impact of Balloon Guide Catheter Use (EndNote)\nAN  - 30776994\n"
        "DP  - NLM\nER  - \n\n"
        "TY  - JOUR\nTI  - An Embase record\nAN  - 30776994\nDB  - Embase\nER  - \n",
        encoding="utf-8")
    load(fresh_db, nbib, ris)
    pubmed, endnote, embase = occurrences(fresh_db)
    assert endnote["matched_on"] == "pmid" and endnote["id"] == pubmed["id"]
    assert embase["matched_on"] == "new" and embase["pmid"] is None
    assert json.loads(embase["extra"])["AN (accession_number)"] == "30776994"


def test_embase_ris_gives_medline_records_their_pmid(fresh_db):
    load(fresh_db, CORPUS / "exports/ris/asreview/embase.ris")
    for row in occurrences(fresh_db):
        c5 = re.search(r"^C5  - (\d+)", row["raw"], re.M)
        in_medline = re.search(r"^DB  - Medline", row["raw"], re.M)
        assert row["pmid"] == (c5.group(1) if c5 and in_medline else None)
    assert any(row["pmid"] for row in occurrences(fresh_db))


# ------------------------------------------------- PMIDs (audit M1, L5)

@pytest.mark.parametrize("value,pmid", [
    ("33712345", "33712345"), ("PMID: 33712345", "33712345"), ("0033712345", None),
    ("33712345 [PubMed - indexed for MEDLINE]", "33712345"), (33712345, "33712345"),
    ("2011234567", None),  # an Embase number is not cut to its first digits
    ("633456789", None), ("12345 and 67890", None), ("n/a", None),
])
def test_normalise_pmid_takes_a_whole_pmid_only(value, pmid):
    from datasette_mscdm.records import normalise_pmid

    assert normalise_pmid(value) == pmid


def test_a_value_that_is_no_pmid_is_kept_in_extra_with_a_warning():
    from datasette_mscdm.records import INVALID_PMID_KEY

    record = Record(pmid="2011234567").finish()
    assert record.pmid is None
    assert record.extra[INVALID_PMID_KEY] == "2011234567"
    assert record.warnings
    assert not Record(pmid="NA").finish().warnings


@pytest.mark.parametrize("url,pmid", [
    ("https://pubmed.ncbi.nlm.nih.gov/33712345/", "33712345"),
    ("https://www.ncbi.nlm.nih.gov/pubmed/33712345", "33712345"),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7951234/", None),
    ("https://example.org/pubmed/33712345", None),
])
def test_a_pubmed_link_gives_the_pmid(url, pmid):
    assert Record(url=url).finish().pmid == pmid


def test_refer_accession_number_from_pubmed(tmp_path, fresh_db):
    from conftest import load_files

    path = tmp_path / "a.enw"
    path.write_text("%0 Journal Article\n%T One\n%M 33712345\n%~ PubMed\n\n"
                    "%0 Journal Article\n%T Two\n%M 633456789\n%~ Embase\n", encoding="utf-8")
    _, (pubmed, embase) = load_files(fresh_db, path)
    assert pubmed["pmid"] == "33712345" and "M (accession number)" not in pubmed["extra"]
    assert embase["pmid"] is None and embase["extra"]["M (accession number)"] == "633456789"
