"""The loader's reading of real corpus files against independent libraries
reading the same files: rispy (RIS), Biopython (MEDLINE), lxml (PubMed and
EndNote XML), pybtex (BibTeX) and pandas (CSV/TSV). Field by field, for
every record that has no duplicate in its file (a merged record also holds
what its duplicate added).

Both sides go through the same comparison key: entities decoded, anything
shaped like a tag and all white space removed, so the check is of what the
text says, not of how each side tidies it."""

import csv
import html
import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import CORPUS, FIXTURES
from datasette_mscdm.cli import cli
from datasette_mscdm.records import normalise_doi, parse_year

rispy = pytest.importorskip("rispy")
lxml_etree = pytest.importorskip("lxml.etree")
Medline = pytest.importorskip("Bio.Medline")
pybtex_database = pytest.importorskip("pybtex.database")
pandas = pytest.importorskip("pandas")


def key(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "|".join(key(v) for v in value)
    text = html.unescape(html.unescape(str(value)))  # some sources escape twice
    text = re.sub(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>", "", text)
    return "".join(text.split()).casefold()


def load_new_records(db, path):
    """The loader's records, by position in the file, of works found once
    (a merge fills blanks and adds keywords from the other occurrence)."""
    result = CliRunner().invoke(cli, ["load", str(db), str(path), "--serial"])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {r["position"]: dict(r) for r in conn.execute(
            "select o.position, r.* from occurrences o join records r on r.id = o.record_id"
            " where r.occurrence_count = 1")}
    finally:
        conn.close()


def words(value) -> str:
    return " ".join(str(value).split())


def compare(ours: dict, theirs: dict, where: str, exact=()):
    """Field by field: a field the independent reading has must match.
    Fields in `exact` hold text with no markup in it (XML text nodes, table
    cells and tagged values that close no tag): every character of theirs
    must be in ours, `<` and `>` included, only white space tidied."""
    for field, expected in theirs.items():
        if expected in (None, "", []):
            continue
        got = ours[field]
        if field in ("authors", "keywords", "publication_types"):
            got = json.loads(got)
        if field in exact and isinstance(expected, str) and "</" not in expected \
                and "&" not in expected:
            assert words(got) == words(expected), f"{where}: {field}: {got!r} != {expected!r}"
        if field == "keywords":  # the loader keeps one of keywords equal but for case
            seen = set()
            expected = [k for k in expected if not (k.casefold() in seen or seen.add(k.casefold()))]
        if field == "doi":
            assert got == normalise_doi(expected), f"{where}: doi"
        elif field == "year":
            assert got == parse_year(expected), f"{where}: year"
        else:
            assert key(got) == key(expected), f"{where}: {field}: {got!r} != {expected!r}"


def first(entry: dict, *names):
    for name in names:
        if entry.get(name):
            return entry[name]
    return None


# ------------------------------------------------------------------- RIS

# The audit's fixtures add what the corpus lacks: tag-like words (`<TT>`,
# `<style>`) and a continuation line shaped like a tag (`ER - positive`).
RIS_FILES = sorted((CORPUS / "exports/ris").rglob("*.*")) + [
    FIXTURES / "audit/ris_angle.ris", FIXTURES / "audit/ris_er_in_abstract.ris"]


@pytest.mark.parametrize("path", RIS_FILES, ids=[p.name for p in RIS_FILES])
def test_ris_against_rispy(path, fresh_db):
    with open(path, encoding="utf-8-sig") as f:
        entries = rispy.load(f)
    ours = load_new_records(fresh_db, path)
    assert len(entries) >= len(ours) and ours
    for position, record in ours.items():
        entry = entries[position - 1]
        compare(record, {
            "title": first(entry, "title", "primary_title"),
            "authors": entry.get("authors", []) + entry.get("first_authors", []),
            "abstract": first(entry, "abstract", "notes_abstract"),
            "keywords": entry.get("keywords"),
            "year": first(entry, "year", "publication_year"),
            "doi": entry.get("doi"),
            "volume": entry.get("volume"),
        }, f"{path.name} record {position}", exact=("title",))


# --------------------------------------------------------------- MEDLINE

MEDLINE_FILES = sorted((CORPUS / "exports/medline_nbib").rglob("*.*"))


@pytest.mark.parametrize("path", MEDLINE_FILES, ids=[p.name for p in MEDLINE_FILES])
def test_medline_against_biopython(path, fresh_db):
    with open(path, encoding="utf-8-sig") as f:
        entries = list(Medline.parse(f))
    ours = load_new_records(fresh_db, path)
    assert len(entries) >= len(ours) and ours
    for position, record in ours.items():
        entry = entries[position - 1]
        # Biopython joins the several LID lines of a record into one string.
        ids = " ".join([entry.get("LID", "")] + entry.get("AID", []))
        doi = next(iter(re.findall(r"(\S+) \[doi\]", ids)), None)
        compare(record, {
            "pmid": entry.get("PMID"), "title": entry.get("TI"), "abstract": entry.get("AB"),
            "authors": entry.get("FAU") or entry.get("AU"), "year": entry.get("DP"),
            "doi": doi, "journal": entry.get("JT"), "volume": entry.get("VI"),
            "issue": entry.get("IP"), "pages": entry.get("PG"),
        }, f"{path.name} record {position}")
        mesh = json.loads(record["mesh"])
        assert [h["descriptor"] for h in mesh] == [
            v.split("/")[0].lstrip("*") for v in entry.get("MH", [])]


# ------------------------------------------------------------------- XML

def xml_root(path):
    parser = lxml_etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                  huge_tree=True)
    return lxml_etree.parse(str(path), parser).getroot()


def itertext(elem) -> str | None:
    return "".join(elem.itertext()) if elem is not None else None


PUBMED_FILES = sorted((CORPUS / "exports/pubmed_xml").rglob("*.xml")) + [
    FIXTURES / "audit/pubmed_label.xml"]  # "&lt;label&gt;" in a title and an abstract


@pytest.mark.parametrize("path", PUBMED_FILES, ids=[p.name for p in PUBMED_FILES])
def test_pubmed_xml_against_lxml(path, fresh_db):
    articles = xml_root(path).findall("PubmedArticle")
    ours = load_new_records(fresh_db, path)
    for position, record in ours.items():
        article = articles[position - 1]
        citation = article.find("MedlineCitation")
        authors = [", ".join(p for p in (a.findtext("LastName"), a.findtext("ForeName")) if p)
                   or a.findtext("CollectiveName")
                   for a in citation.findall("Article/AuthorList/Author")]
        doi = next((itertext(e) for e in citation.findall("Article/ELocationID")
                    if e.get("EIdType") == "doi"), None) or next(
            (e.text for e in article.findall("PubmedData/ArticleIdList/ArticleId")
             if e.get("IdType") == "doi"), None)
        compare(record, {
            "pmid": citation.findtext("PMID"),
            "title": itertext(citation.find("Article/ArticleTitle")),
            # Labels become "LABEL: " prefixes; the key compares the words.
            "abstract": " ".join(
                (f"{t.get('Label')}: " if t.get("Label") else "") + itertext(t)
                for t in citation.findall("Article/Abstract/AbstractText")),
            "authors": authors, "doi": doi,
            "journal": citation.findtext("Article/Journal/Title"),
            "volume": citation.findtext("Article/Journal/JournalIssue/Volume"),
            "year": citation.findtext("Article/Journal/JournalIssue/PubDate/Year"),
            "publication_types": [t.text for t in citation.findall(
                "Article/PublicationTypeList/PublicationType")],
        }, f"{path.name} record {position}", exact=("title",))
        # XML text is text: the abstract holds every character of every section.
        for section in citation.findall("Article/Abstract/AbstractText"):
            assert words(itertext(section)) in record["abstract"], f"record {position}"


ENDNOTE = CORPUS / "exports/endnote_xml/asysd/zotero_export.xml"


def test_endnote_xml_against_lxml(fresh_db):
    records = xml_root(ENDNOTE).findall("records/record")
    ours = load_new_records(fresh_db, ENDNOTE)
    assert len(records) == 1233 and ours
    for position, record in ours.items():
        elem = records[position - 1]
        compare(record, {
            "title": itertext(elem.find("titles/title")),
            "authors": [itertext(a) for a in elem.findall("contributors/authors/author")],
            "abstract": itertext(elem.find("abstract")),
            "keywords": [itertext(k) for k in elem.findall("keywords/keyword")],
            "year": itertext(elem.find("dates/year")),
            "doi": itertext(elem.find("electronic-resource-num")),
            "volume": itertext(elem.find("volume")), "pages": itertext(elem.find("pages")),
        }, f"record {position}")
        assert json.loads(record["extra"])["ref-type"] == elem.find("ref-type").text


# ---------------------------------------------------------------- BibTeX

def test_bibtex_against_pybtex(fresh_db, capsys):
    import pybtex.errors

    path = CORPUS / "exports/bibtex/synthesisr/Scopus_bib_example.bib"
    pybtex.errors.set_strict_mode(False)  # it rejects the duplicated field otherwise
    entries = list(pybtex_database.parse_file(str(path), "bibtex").entries.values())
    capsys.readouterr()  # pybtex reports the duplicated field on stderr
    ours = load_new_records(fresh_db, path)
    assert len(ours) == len(entries) == 3
    for position, record in ours.items():
        entry = entries[position - 1]
        fields = {k.lower(): v for k, v in entry.fields.items()}
        compare(record, {
            "title": fields.get("title"), "journal": fields.get("journal"),
            "volume": fields.get("volume"), "issue": fields.get("number"),
            "year": fields.get("year"), "doi": fields.get("doi"),
            "abstract": fields.get("abstract"),
            "authors": [str(p) for p in entry.persons.get("author", [])],
        }, f"entry {position}")


# ------------------------------------------------------------ CSV / TSV

CSV_FILES = [CORPUS / "exports/csv/synthesisr/scopus.csv",
             CORPUS / "exports/csv/asreview/embase.csv",
             *sorted((CORPUS / "screening").rglob("*.csv"))]

TITLE = ("title", "Title", "Article Title")
ABSTRACT = ("abstract", "Abstract")
DOI = ("doi", "DOI")


@pytest.mark.parametrize("path", CSV_FILES, ids=[p.name for p in CSV_FILES])
def test_csv_against_pandas(path, fresh_db):
    frame = pandas.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    ours = load_new_records(fresh_db, path)
    assert len(frame) >= len(ours) and ours
    rows = frame.to_dict("records")
    for position, record in ours.items():
        row = rows[position - 1]
        compare(record, {
            "title": first(row, *TITLE), "abstract": first(row, *ABSTRACT),
            "doi": first(row, *DOI), "year": first(row, "year", "Year"),
        }, f"{path.name} row {position}")


def test_wos_tab_delimited_against_pandas(fresh_db):
    path = CORPUS / "exports/wos_tabdelimited/synthesisr/WoS_zoological.txt"
    # WoS never quotes; the file ends its lines with CR only and each row
    # with a tab more than the header has columns.
    frame = pandas.read_csv(path, sep="\t", dtype=str, keep_default_na=False,
                            encoding="utf-8-sig", quoting=csv.QUOTE_NONE, index_col=False)
    ours = load_new_records(fresh_db, path)
    rows = frame.to_dict("records")
    assert len(rows) == 133 and ours
    for position, record in ours.items():
        row = rows[position - 1]
        compare(record, {"title": row["TI"], "abstract": row["AB"], "doi": row["DI"],
                         "year": row["PY"], "journal": row["SO"], "volume": row["VL"],
                         "pages": row["PS"]}, f"row {position}")
