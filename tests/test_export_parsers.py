"""The exports read back by the parsers reference managers use: RIS by rispy,
BibTeX by bibtexparser (and pybtex), CSL-JSON by citeproc-py (which then
formats a bibliography from it). Field by field against the database, on
real corpus files with real decisions; no stray lines, no year written
twice."""

import json
import re
import sqlite3

import bibtexparser
import pybtex.database
import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, \
    formatter
from citeproc.source.json import CiteProcJSON
from click.testing import CliRunner

from conftest import CORPUS, DATA, HOSTILE_RIS
from datasette_mscdm.cli import cli
from datasette_mscdm.reporting.export import _LATEX_SPECIALS, clean_date, date_parts, \
    literal_markup, ris_date
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("parsers")
    db = tmp / "review.db"
    hostile = tmp / "hostile.ris"
    hostile.write_text(HOSTILE_RIS, encoding="utf-8")
    exports = CORPUS / "exports"
    sources = [DATA, hostile, exports / "medline_nbib", exports / "ris" / "synthesisr",
               exports / "wos_plaintext" / "synthesisr", exports / "bibtex",
               exports / "csl_json", exports / "pubmed_xml"]
    result = CliRunner().invoke(cli, ["load", str(db), *map(str, sources)])
    assert result.exit_code == 0, result.output
    conn = store.connect(db)
    protocol = parse_protocol(None)
    bob, carol = store.Reviewer("bob", "reviewer"), store.Reviewer("carol", "reviewer")
    ids = [r[0] for r in conn.execute("select id from records order by id")]
    with conn:
        for rid in ids[::2]:
            for who in (bob, carol):
                store.record_decision(conn, protocol, who, rid, "title_abstract", "include",
                                      note="dose in table 2")
        for rid in ids[1::4]:
            for who in (bob, carol):
                store.record_decision(conn, protocol, who, rid, "title_abstract", "exclude",
                                      reason="Wrong population")
        for rid in ids[::6]:
            for who in (bob, carol):
                store.record_decision(conn, protocol, who, rid, "full_text", "include")
    conn.close()
    return db


def records(db, where=""):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(f"select * from records {where} order by id")]
    conn.close()
    for row in rows:
        for column in ("authors", "keywords", "publication_types"):
            row[column] = json.loads(row[column] or "[]")
        for key, value in row.items():
            row[key] = ([literal_markup(v) for v in value] if isinstance(value, list)
                        else literal_markup(value))
    return rows


def export(db, format_name, *options):
    result = CliRunner().invoke(cli, ["export", str(db), "--format", format_name, *options])
    assert result.exit_code == 0, result.output
    return result.output


def words(text):
    """Text as a reader sees it: RIS and BibTeX fold line breaks."""
    return " ".join((text or "").split()) or None


def test_ris_reads_back_with_rispy_field_by_field(screened):
    text = export(screened, "ris")
    assert not re.search(r"^\d+\.\s*$", text, re.MULTILINE), "a stray record-number line"
    entries = rispy.loads(text)
    expected = records(screened)
    assert len(entries) == len(expected) > 100
    for entry, record in zip(entries, expected):
        assert entry["type_of_reference"] == "JOUR"
        assert words(entry.get("title")) == words(record["title"]), record["id"]
        assert entry.get("authors", []) == record["authors"], record["id"]
        assert entry.get("year") == (str(record["year"]) if record["year"] else None)
        assert entry.get("secondary_title") == record["journal"]
        assert entry.get("volume") == record["volume"] and entry.get("number") == record["issue"]
        assert entry.get("doi") == record["doi"]
        assert words(entry.get("abstract")) == words(record["abstract"]), record["id"]
        assert entry.get("language") == record["language"]
        assert entry.get("urls", []) == ([record["url"]] if record["url"] else [])
        pages = "-".join(p for p in (entry.get("start_page"), entry.get("end_page")) if p)
        assert pages == re.sub(r"\s*-\s*", "-", record["pages"] or ""), record["id"]
        assert set(record["keywords"]) <= set(entry.get("keywords", []))
        assert f"Screening: {record['screening_status']}" in entry["keywords"]
        date = entry.get("date")
        if date:
            assert date == ris_date(record["publication_date"])
            year = str(record["year"])
            assert date.count(year) <= 1, date  # never "May 2015 2015"
            assert re.fullmatch(r"\d{4}/\d{2}(/\d{2})?", date) or date_parts(date) is None
    # The corpus has dates written with their year twice; the export cleans them.
    doubled = [r for r in expected if r["publication_date"] and re.search(
        r"\b(\d{4}) \1$", r["publication_date"])]
    assert not doubled or all(ris_date(r["publication_date"]).count(str(r["year"])) == 1
                              for r in doubled)


def latex_decode(value: str) -> str:
    """The exact inverse of the export's escaping of LaTeX's specials."""
    for character, escaped in sorted(_LATEX_SPECIALS.items(), key=lambda i: -len(i[1])):
        value = value.replace(escaped, character)
    return value


def test_bibtex_reads_back_with_bibtexparser_and_pybtex(screened):
    text = export(screened, "bibtex")
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    expected = records(screened)
    assert len(library.entries) == len(expected)
    for entry, record in zip(library.entries, expected):
        fields = {key: latex_decode(field.value) for key, field in entry.fields_dict.items()}
        assert entry.entry_type == "article" and entry.key == f"mscdm{record['id']}"
        assert fields.get("title") == record["title"], record["id"]
        assert fields.get("author", "").split(" and ") == (record["authors"] or [""])
        assert fields.get("year") == (str(record["year"]) if record["year"] else None)
        for column, key in (("journal", "journal"), ("volume", "volume"), ("issue", "number"),
                            ("pages", "pages"), ("doi", "doi"), ("pmid", "pmid"),
                            ("abstract", "abstract"), ("language", "language")):
            assert fields.get(key) == record[column], (record["id"], column)
        assert fields["screening_status"] == record["screening_status"]
    # A second, independent BibTeX parser agrees on every entry and title.
    parsed = pybtex.database.parse_string(text, "bibtex")
    assert len(parsed.entries) == len(expected)


def test_csl_json_reads_back_with_citeproc_py_and_formats_a_bibliography(screened):
    items = json.loads(export(screened, "csl-json"))
    source = CiteProcJSON(items)
    expected = records(screened)
    assert len(items) == len(expected)
    for record in expected:
        reference = source[f"mscdm{record['id']}"]
        assert reference.type == "article-journal"
        title = reference.get("title")
        assert (str(title) if title is not None else None) == record["title"]
        names = [(n.get("family"), n.get("given")) if "family" in n else (n.get("literal"),)
                 for n in reference.get("author", [])]
        assert names == [tuple(p.strip() for p in name.split(",", 1)) if "," in name
                         else (name,) for name in record["authors"]], record["id"]
        if record["year"]:
            issued = reference.get("issued")
            assert issued["year"] == record["year"]
            parts = date_parts(record["publication_date"])
            if parts and parts[0] == record["year"] and parts[1]:
                assert issued["month"] == parts[1]
        for key, column in (("container_title", "journal"), ("DOI", "doi"),
                            ("volume", "volume"), ("issue", "issue"), ("page", "pages"),
                            ("PMID", "pmid"), ("URL", "url")):
            value = reference.get(key)
            assert (str(value) if value is not None else None) == record[column], \
                (record["id"], key)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    titled = [r for r in expected if r["title"]]
    text = "\n".join(rendered)
    assert all(words(r["title"])[:40] in text for r in titled[:50])


def test_included_at_title_abstract_is_its_own_download(screened):
    """The final status "included" waits for the full text; the records
    that went on to the full text are exported by stage."""
    at_ta = json.loads(export(screened, "csl-json", "--stage", "title_abstract",
                              "--status", "included"))
    conn = sqlite3.connect(screened)
    expected = conn.execute("select count(*) from records where ta_status = 'included'"
                            ).fetchone()[0]
    final = conn.execute("select count(*) from records where screening_status = 'included'"
                         ).fetchone()[0]
    conn.close()
    assert len(at_ta) == expected > final


@pytest.mark.parametrize("written, ris, parts", [
    ("DEC 16 2020 2020", "2020/12/16", (2020, 12, 16)),
    ("May 2015 2015", "2015/05", (2015, 5, None)),
    ("2020 Dec 16", "2020/12/16", (2020, 12, 16)), ("2020-Dec", "2020/12", (2020, 12, None)),
    ("2020-12-16", "2020/12/16", (2020, 12, 16)), ("16 Dec. 2020", "2020/12/16", (2020, 12, 16)),
    ("2020", None, (2020, None, None)), ("Winter 2019", "Winter 2019", None),
    ("2019 Nov-Dec", "2019 Nov-Dec", None), ("2019-02-30", "2019-02-30", None),
    (None, None, None)])
def test_dates(written, ris, parts):
    assert ris_date(written) == ris and date_parts(written) == parts
    assert clean_date("DEC 2020 2020") == "DEC 2020"


def test_web_of_science_dates_keep_one_year_old_and_new(tmp_path):
    """Newer WoS exports write the year in PD too ("PD DEC 16 2020", "PY
    2020"): stored once; a database loaded before this fix exports it once."""
    db = tmp_path / "review.db"
    wos = CORPUS / "exports" / "wos_plaintext" / "synthesisr" / "WoS_txt_example.txt"
    assert CliRunner().invoke(cli, ["load", str(db), str(wos)]).exit_code == 0
    conn = sqlite3.connect(db)
    dates = [r[0] for r in conn.execute("select publication_date from records order by id")]
    assert "DEC 16 2020" in dates and not any(re.search(r"\b(\d{4}) \1$", d or "")
                                              for d in dates)
    with conn:
        conn.execute("update records set publication_date = 'DEC 16 2020 2020'"
                     " where publication_date = 'DEC 16 2020'")
    conn.close()
    text = export(db, "ris")
    assert "DA  - 2020/12/16" in text.splitlines() and "2020 2020" not in text
