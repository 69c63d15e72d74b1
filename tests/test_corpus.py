"""Every real file in the shared corpus loads with the record count its
MANIFEST gives, detected from content alone."""

import json

import pytest
from click.testing import CliRunner

from conftest import CORPUS, manifest_rows
from datasette_mscdm.cli import cli

LOADABLE = [row for row in manifest_rows() if row["format"] != "dedup-groups"]

EXPECTED_FORMAT = {
    "ris": "ris", "medline": "medline", "pubmed-xml": "pubmed-xml", "bibtex": "bibtex",
    "endnote-xml": "endnote-xml", "csl-json": "csl-json", "wos-plaintext": "wos",
    "wos-tab": "csv", "csv-scopus": "csv", "csv-embase": "csv", "csv-labelled": "csv",
    "derived-csv": "csv",
}


@pytest.mark.parametrize("row", LOADABLE, ids=[row["path"] for row in LOADABLE])
def test_corpus_file_loads_with_manifest_count(row, fresh_db, rows):
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(CORPUS / row["path"]), "--json"])
    assert result.exit_code == 0, result.output
    [loaded] = json.loads(result.output)
    assert loaded["status"] == "loaded"
    assert loaded["format"] == EXPECTED_FORMAT[row["format"]]
    assert loaded["records"] == int(row["records"])
    assert rows(fresh_db, "select count(*) n from occurrences")[0]["n"] == int(row["records"])
    # Every record knows where it came from, and the sha256 matches the manifest.
    [source] = rows(fresh_db, "select * from sources")
    assert source["sha256"] == row["sha256"]
    assert rows(fresh_db, "select count(*) n from records where id not in "
                          "(select record_id from occurrences)")[0]["n"] == 0


def test_whole_corpus_in_one_run(fresh_db, rows):
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(CORPUS / "exports")])
    assert result.exit_code == 0, result.output
    expected = sum(int(r["records"]) for r in LOADABLE if r["path"].startswith("exports/"))
    assert rows(fresh_db, "select sum(records) n from sources")[0]["n"] == expected
    # Cross-database duplicates merged: the synthesisr Scopus and WoS exports share works.
    merged = rows(fresh_db, "select count(*) n from records where databases like '%Scopus%' "
                            "and databases like '%Web of Science%'")[0]["n"]
    assert merged > 0
    # Sources by database, for PRISMA's identification box.
    databases = {r["database"] for r in rows(fresh_db, "select database from sources")}
    assert {"PubMed", "Web of Science", "Scopus", "Embase"} <= databases


def test_structured_pubmed_abstract_keeps_labels(fresh_db, rows):
    CliRunner().invoke(cli, ["load", str(fresh_db), str(CORPUS / "exports/pubmed_xml")])
    abstracts = [r["abstract"] for r in rows(fresh_db, "select abstract from records")]
    labelled = [a for a in abstracts if a and "\n\n" in a]
    assert labelled, "no structured abstract kept its paragraphs"
    assert any(a.split(":")[0].isupper() for a in labelled)


def test_medline_without_final_newline_keeps_last_record(fresh_db, rows):
    path = CORPUS / "exports/medline_nbib/synthesisr/PubMed_example.txt"
    assert not path.read_bytes().endswith(b"\n")
    CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    last = rows(fresh_db, "select r.* from occurrences o join records r on r.id = o.record_id "
                          "where o.position = 3")[0]
    assert last["pmid"] and last["title"] and last["abstract"]
    # Six-space continuation lines join into one title with no stray spaces.
    assert "  " not in last["title"]


def test_ris_repeated_tags_and_vendor_fields_are_kept(fresh_db, rows):
    CliRunner().invoke(cli, ["load", str(fresh_db), str(CORPUS / "exports/ris/asreview/embase.ris")])
    record = rows(fresh_db, "select * from records order by id limit 1")[0]
    extra = json.loads(record["extra"])
    assert record["doi"] == "10.4103/2303-9027.138783"
    assert record["journal"] == "Endoscopic Ultrasound"
    # SN appears twice; both values survive, JO (not the column's pick) too.
    assert extra["SN (issn)"] == ["2226-7190", "2226-7190"]
    assert extra["JO (journal_name)"] == "Endoscopic Ultrasound"


def test_bibtex_duplicated_field_kept_with_warning(fresh_db, rows):
    path = CORPUS / "exports/bibtex/synthesisr/Scopus_bib_example.bib"
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path), "--json"])
    [loaded] = json.loads(result.output)
    assert loaded["records"] == 3
    assert any("funding_details" in w for w in loaded["warnings"])
    first = rows(fresh_db, "select extra from records order by id limit 1")[0]
    assert "funding_details" in json.loads(first["extra"])


def test_wos_tab_cr_only_and_trailing_tab(fresh_db, rows):
    path = CORPUS / "exports/wos_tabdelimited/synthesisr/WoS_zoological.txt"
    CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    record = rows(fresh_db, "select * from records order by id limit 1")[0]
    assert record["title"].startswith("Cross-scale occupancy dynamics")
    assert record["journal"] == "Journal of Animal Ecology"
    assert json.loads(record["authors"])[0] == "Tingley, Morgan W."
    assert record["year"] == 2018


def test_labelled_screening_set_keeps_label_columns(fresh_db, rows):
    path = CORPUS / "screening/synergy/Jeyaraman_2020.csv"
    CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    labels = [json.loads(r["extra"]).get("label_included")
              for r in rows(fresh_db, "select extra from records")]
    assert labels.count("1") >= 90  # 96 included; a few may merge as exact duplicates
    assert set(labels) <= {"0", "1"}


def test_csl_json_html_titles_and_date_ranges(fresh_db, rows):
    CliRunner().invoke(cli, ["load", str(fresh_db), str(CORPUS / "exports/csl_json")])
    titles = [r["title"] for r in rows(fresh_db, "select title from records")]
    assert all("<" not in t for t in titles if t)
    assert all(r["year"] for r in rows(fresh_db, "select year from records"))
