"""occurrences.raw is the record's exact text from the file, after decoding:
CRLF stays CRLF, XML records are cut from the source text rather than
re-serialised (issue 12, class 7). Checked for every record of every corpus
file and of fixtures that the corpus lacks (CRLF XML, CR-only, UTF-16,
namespaced and empty-element XML)."""

import sqlite3

import pytest
from click.testing import CliRunner

from conftest import CORPUS, FIXTURES, manifest_rows
from datasette_mscdm.cli import cli
from datasette_mscdm.textio import inspect_file, read_decoded

LOADABLE = [row for row in manifest_rows() if row["format"] != "dedup-groups"]


def raws(db):
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("select raw from occurrences order by position")]
    finally:
        conn.close()


def assert_raw_is_exact(db, path, expected_count=None):
    text = read_decoded(inspect_file(path))
    found = raws(db)
    assert found, "no records"
    if expected_count is not None:
        assert len(found) == expected_count
    position = 0
    for number, raw in enumerate(found, 1):
        assert raw.strip(), f"record {number}: empty raw text"
        index = text.find(raw, position)
        assert index >= 0, f"record {number}: raw text is not in the file: {raw[:200]!r}"
        position = index + len(raw)  # records follow each other, none overlaps


@pytest.mark.parametrize("row", LOADABLE, ids=[row["path"] for row in LOADABLE])
def test_every_corpus_record_raw_is_a_slice_of_the_file(row, fresh_db):
    path = CORPUS / row["path"]
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path), "--serial"])
    assert result.exit_code == 0, result.output
    assert_raw_is_exact(fresh_db, path, int(row["records"]))


# The audit's fixtures: text after an end tag, a mixed-encoding file, Ovid,
# repeated columns, XML with tags in its text.
AUDIT_FILES = sorted(p for p in (FIXTURES / "audit").iterdir() if p.suffix != ".xlsx")


@pytest.mark.parametrize("path", AUDIT_FILES, ids=[p.name for p in AUDIT_FILES])
def test_every_audit_fixture_record_raw_is_a_slice_of_the_file(path, fresh_db):
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path), "--serial"])
    assert result.exit_code == 0, result.output
    assert_raw_is_exact(fresh_db, path)


def test_crlf_stays_crlf(fresh_db):
    path = CORPUS / "exports/medline_nbib/nbib/pubmed-balloongui-set.nbib"
    assert b"\r\n" in path.read_bytes()
    CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    assert all("\r\n" in raw for raw in raws(fresh_db))


PUBMED_CRLF = (
    '<?xml version="1.0" encoding="UTF-8"?>\r\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN"'
    ' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">\r\n'
    "<PubmedArticleSet>\r\n"
    '<PubmedArticle>\r\n  <MedlineCitation Status="MEDLINE" Owner="NLM">\r\n'
    '    <PMID Version="1">111</PMID>\r\n    <Article PubModel="Print">\r\n'
    "      <ArticleTitle>Caf\u00e9 &amp; <i>MSC</i> exosomes: p &lt; 0.05</ArticleTitle>\r\n"
    '      <Abstract><AbstractText Label="AIM" NlmCategory="OBJECTIVE">x &gt; y</AbstractText>'
    "</Abstract>\r\n"
    "    </Article>\r\n  </MedlineCitation>\r\n</PubmedArticle>\r\n"
    "<PubmedArticle><MedlineCitation><PMID>222</PMID><Article>"
    "<ArticleTitle>Second \u2013 \U0001F600 title</ArticleTitle></Article></MedlineCitation>"
    "</PubmedArticle>\r\n"
    "</PubmedArticleSet>\r\n")

ENDNOTE_NAMESPACED = (
    '<?xml version="1.0" encoding="UTF-8" ?><xml><records>'
    '<record><database name="My Library.enl" path="C:\\x.enl">My Library.enl</database>'
    '<ref-type name="Journal Article">17</ref-type><contributors><authors><author>'
    '<style face="normal" font="default" size="100%">Kim, A.</style></author></authors>'
    "</contributors><titles><title><style face=\"normal\">A  title</style></title></titles>"
    '<urls><related-urls><url>https://x.org/?a=1&amp;b=2</url></related-urls></urls></record>'
    "<record><ref-type name=\"Book\">6</ref-type><titles><title>Second</title></titles></record>"
    "</records></xml>")


@pytest.mark.parametrize("name,text,encoding,count", [
    ("crlf.xml", PUBMED_CRLF, "utf-8", 2),
    ("utf16.xml", PUBMED_CRLF.replace('encoding="UTF-8"', 'encoding="UTF-16"'), "utf-16", 2),
    ("cr-only.xml", PUBMED_CRLF.replace("\r\n", "\r"), "utf-8", 2),
    ("endnote.xml", ENDNOTE_NAMESPACED, "utf-8", 2),
    ("endnote-crlf.xml", ENDNOTE_NAMESPACED.replace("><", ">\r\n<"), "utf-8", 2),
    ("crlf.ris", "TY  - JOUR\r\nTI  - One\r\nAB  - Para one.\r\nPara two.\r\nER  - \r\n\r\n"
                 "TY  - JOUR\r\nTI  - Two\r\nER  - \r\n", "utf-8", 2),
    ("cr.ris", "TY  - JOUR\rTI  - One\rER  - \r\rTY  - JOUR\rTI  - Two\rER  - \r", "utf-8", 2),
    ("crlf.csv", 'title,abstract\r\n"A, title","Line one\r\nline two"\r\nB,short\r\n',
     "utf-8-sig", 2),
    ("crlf.bib", "@article{a,\r\n  title = {One},\r\n  year = {2020}\r\n}\r\n\r\n"
                 "@article{b,\r\n  title = {Two}\r\n}\r\n", "utf-8", 2),
    ("items.json", '[\r\n  {"id": "a", "type": "article", "title": "One"},\r\n'
                   '  {"id": "b", "type": "book", "title": "Two"}\r\n]\r\n', "utf-8", 2),
    ("crlf.nbib", "PMID- 1\r\nTI  - One\r\n      continued\r\n\r\nPMID- 2\r\nTI  - Two", "cp1252", 2),
])
def test_fixture_raw_is_a_slice_of_the_decoded_file(tmp_path, fresh_db, name, text, encoding,
                                                     count):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    assert result.exit_code == 0, result.output
    assert_raw_is_exact(fresh_db, path, count)


def test_xml_raw_is_not_reserialised(tmp_path, fresh_db):
    path = tmp_path / "pubmed.xml"
    path.write_bytes(PUBMED_CRLF.encode("utf-8"))
    CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    first, second = raws(fresh_db)
    # Entities, attribute order and line endings exactly as written.
    assert first.startswith('<PubmedArticle>\r\n  <MedlineCitation Status="MEDLINE" Owner="NLM">')
    assert "Caf\u00e9 &amp; <i>MSC</i> exosomes: p &lt; 0.05" in first
    assert first.endswith("</PubmedArticle>")
    assert second.endswith("</PubmedArticle>") and "\U0001F600" in second
