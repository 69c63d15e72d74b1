"""Tables of records (issue 12, classes 8 and 10): CSV export columns mapped
to the typed column that fits, and the same column matching for JSON Lines
and Excel workbooks (.xlsx), each detected from its content."""

import csv
import json
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import CORPUS
from datasette_mscdm.cli import cli
from datasette_mscdm.textio import LoadError, inspect_file


def load(db, *paths, options=()):
    result = CliRunner().invoke(cli, ["load", str(db), *map(str, paths), "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def records_in_order(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            "select o.raw, o.line, o.matched_on, r.* from occurrences o join records r on r.id = o.record_id"
            " order by o.source_id, o.position")]
    finally:
        conn.close()


# ------------------------------------------------------- CSV column mapping

def test_scopus_article_numbers_and_open_access(fresh_db):
    path = CORPUS / "exports/csv/synthesisr/scopus.csv"
    load(fresh_db, path)
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    records = records_in_order(fresh_db)
    assert len(rows) == len(records)
    article_numbers = 0
    for row, record in zip(rows, records):
        if record["matched_on"] != "new":
            continue  # a duplicate: the record keeps the first occurrence's values
        extra = json.loads(record["extra"])
        if not row["Page start"] and row["Art. No."]:
            article_numbers += 1
            assert record["pages"] == row["Art. No."].strip() and "Art. No." not in extra
        elif row["Art. No."]:
            assert extra["Art. No."] == row["Art. No."]  # pages given: kept in extra
        assert record["is_open_access"] == (1 if row["Access Type"] == "Open Access" else None)
    assert article_numbers


def test_embase_emtree_terms_are_keywords(fresh_db):
    load(fresh_db, CORPUS / "exports/csv/asreview/embase.csv")
    record = records_in_order(fresh_db)[0]
    keywords = json.loads(record["keywords"])
    assert "endoscopic ultrasonography" in keywords
    # Subheadings stay with their term: the comma inside parentheses does not split.
    assert any(k.startswith("bronchogenic duplication cyst (") and k.endswith(")")
               for k in keywords)
    assert not any(k.startswith("Emtree") for k in json.loads(record["extra"]))


def test_generic_columns(tmp_path, fresh_db):
    path = tmp_path / "colrev.csv"
    path.write_text("ID,ENTRYTYPE,title,booktitle,year,open_access,pdf_url,cited_by\n"
                    "a1,inproceedings,A paper,Proc. of Things,2021,"
                    '"{""is_oa"": true}",https://x.org/a.pdf,7\n', encoding="utf-8")
    load(fresh_db, path)
    [record] = records_in_order(fresh_db)
    assert json.loads(record["publication_types"]) == ["inproceedings"]
    assert (record["journal"], record["year"], record["is_open_access"]) == (
        "Proc. of Things", 2021, 1)
    assert (record["pdf_url"], record["citation_count"]) == ("https://x.org/a.pdf", 7)
    assert json.loads(record["extra"]) == {"ID": "a1"}


def test_unparsed_values_stay_in_extra(tmp_path, fresh_db):
    path = tmp_path / "odd.csv"
    path.write_text("title,year,open access,times cited\nX,n.d.,Bronze,many\n", encoding="utf-8")
    load(fresh_db, path)
    [record] = records_in_order(fresh_db)
    assert record["year"] is None and record["is_open_access"] is None
    assert json.loads(record["extra"]) == {"year": "n.d.", "open access": "Bronze",
                                           "times cited": "many"}


# -------------------------------------------------------------- JSON Lines

JSONL = (
    '{"record_id": 1, "title": "MSC exosomes heal diabetic wounds", "abstract": "<p>We found '
    'p < 0.05.</p>", "doi": "https://doi.org/10.1000/ABC", "authors": ["Smith, J", "Doe, A"], '
    '"year": 2021, "label_included": 1, "keywords": ["exosome", "wound"]}\n'
    '\n'
    '{"record_id": 2, "title": "Second", "abstract": null, "doi": null, "label_included": 0, '
    '"open_access": {"is_oa": false}, "notes": ["a", "b"]}\r\n')


def test_json_lines(tmp_path, fresh_db):
    path = tmp_path / "asreview-export.txt"  # detected from content, not the name
    path.write_bytes(JSONL.encode("utf-8"))
    [source] = load(fresh_db, path)
    assert source["format"] == "jsonl" and source["records"] == 2
    first, second = records_in_order(fresh_db)
    assert first["title"] == "MSC exosomes heal diabetic wounds"
    assert first["abstract"] == "We found p < 0.05."
    assert (first["doi"], first["year"]) == ("10.1000/abc", 2021)
    assert json.loads(first["authors"]) == ["Smith, J", "Doe, A"]
    assert json.loads(first["keywords"]) == ["exosome", "wound"]
    # Keys no column takes keep their JSON values.
    assert json.loads(first["extra"]) == {"record_id": 1, "label_included": 1}
    assert json.loads(second["extra"]) == {"record_id": 2, "label_included": 0,
                                           "notes": ["a", "b"]}
    assert second["is_open_access"] == 0
    assert (first["line"], second["line"]) == (1, 3)
    assert first["raw"] == JSONL.split("\n")[0]


def test_json_lines_error_names_the_line(tmp_path, fresh_db):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"title": "A", "abstract": "x"}\n{"title": "B", "abstract": "y"}\n'
                    '{"title": "C", oops}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    assert result.exit_code == 1
    assert "malformed JSON Lines" in result.output and "line 3" in result.output


# ------------------------------------------------------------ Excel .xlsx

def write_workbook(path):
    import datetime

    import openpyxl

    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Search notes"
    notes.append(["Searched PubMed on", datetime.date(2024, 3, 1)])
    sheet = workbook.create_sheet("Scopus")
    sheet.append(["Authors", "Article Title", "Source Title", "Publication Year", "DOI",
                  "Pubmed Id", "Abstract", "Open Access", "Reviewer note"])
    sheet.append(["Li X.; Wang Y.", "Exosomes & wounds: p < 0.05", "Stem Cell Res Ther", 2023,
                  "10.1186/S13287-023-03245-X", 36912345, "An abstract.",
                  "All Open Access; Gold Open Access", "check dose"])
    sheet.append([None] * 9)
    sheet.append(["Roe R.", "Second title", "Diabetes", 2020.0, None, None, None, None, None])
    workbook.save(path)


def test_xlsx_workbook(tmp_path, fresh_db):
    path = tmp_path / "searches.dat"  # detected from its bytes, not the name
    write_workbook(path)
    assert inspect_file(path).is_workbook
    for options in ((), ("--serial",), ("--read-ahead",), ("--format", "xlsx")):
        db = tmp_path / f"{len(options)}{options[:1]}.db"
        [source] = load(db, path, options=options)
        assert (source["format"], source["records"], source["status"]) == ("xlsx", 2, "loaded")
    first, second = records_in_order(db)
    assert json.loads(first["authors"]) == ["Li X.", "Wang Y."]
    assert first["title"] == "Exosomes & wounds: p < 0.05"
    assert (first["journal"], first["year"], first["doi"], first["pmid"]) == (
        "Stem Cell Res Ther", 2023, "10.1186/s13287-023-03245-x", "36912345")
    assert first["is_open_access"] == 1
    assert json.loads(first["extra"]) == {"Reviewer note": "check dose", "(sheet)": "Scopus"}
    assert json.loads(first["raw"])["Article Title"] == "Exosomes & wounds: p < 0.05"
    assert (second["title"], second["year"], second["line"]) == ("Second title", 2020, 4)


def test_other_zip_files_are_refused_clearly(tmp_path, fresh_db):
    import zipfile

    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("savedrecs.txt", "PT J\nTI x\nER\n")
    with pytest.raises(LoadError, match="not an Excel workbook"):
        inspect_file(path)
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    assert result.exit_code == 1 and "unzip it first" in result.output


def test_a_text_format_forced_on_a_workbook_fails_cleanly(tmp_path, fresh_db):
    path = tmp_path / "book.xlsx"
    write_workbook(path)
    result = CliRunner().invoke(cli, ["load", str(fresh_db), str(path), "--format", "ris"])
    assert result.exit_code == 1 and "Excel workbook" in result.output
