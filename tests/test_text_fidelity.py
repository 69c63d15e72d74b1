"""Text that used to be lost or changed at load (issue 12, classes 1-3):
WoS abstract paragraphs, RIS lists written one item per line, `<` and `>`
that are text, BibTeX LaTeX that decoded to nothing, `%` in BibTeX, and
BibTeX entries with a duplicated field."""

import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import CORPUS
from datasette_mscdm.cli import cli
from datasette_mscdm.formats.wos import join_lines

WOS_PARAGRAPHS = CORPUS / "exports/wos_plaintext/knh11545/WoS_other_reference_software_r0001-0500.txt"
WOS_WRAPPED = CORPUS / "exports/wos_plaintext/synthesisr/WoS_txt_example.txt"


def load(db, *paths, expect=0):
    result = CliRunner().invoke(cli, ["load", str(db), *map(str, paths), "--json"])
    assert result.exit_code == expect, result.output
    return json.loads(result.stdout) if expect == 0 else result


def records_in_file_order(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            "select r.*, o.raw from occurrences o join records r on r.id = o.record_id"
            " order by o.position")]
    finally:
        conn.close()


def abstract_lines(raw: str) -> list[str]:
    """The AB field of a raw WoS record: its line, then its indented lines."""
    match = re.search(r"^AB (.*(?:\r?\n   .*)*)", raw, re.MULTILINE)
    return [line.strip() for line in match.group(1).splitlines()] if match else []


# ------------------------------------------------------------- class 1: WoS

def test_wos_abstract_paragraphs_survive(fresh_db):
    load(fresh_db, WOS_PARAGRAPHS)
    checked = 0
    for record in records_in_file_order(fresh_db):
        lines = abstract_lines(record["raw"])
        if len(lines) < 2:
            continue
        checked += 1
        # One paragraph per AB line: "Background" stays a paragraph of its
        # own instead of being glued to the text ("Background Physicians").
        assert record["abstract"].split("\n\n") == [" ".join(l.split()) for l in lines]
    assert checked > 200  # more than half of this export's records


def test_wos_wrapped_abstracts_stay_one_paragraph(fresh_db):
    load(fresh_db, WOS_WRAPPED)
    records = records_in_file_order(fresh_db)
    for record in records:
        lines = abstract_lines(record["raw"])
        assert len(lines) > 3  # wrapped at 75 characters
        assert record["abstract"] == " ".join(" ".join(lines).split())
        assert "\n" not in record["title"]


@pytest.mark.parametrize("lines,expected", [
    (["Background", "We did it.", "Methods", "We counted."],
     "Background\n\nWe did it.\n\nMethods\n\nWe counted."),
    (["A value wrapped at seventy-five characters, as Web of Science writes its",
      "plain text, joins with a space."],
     "A value wrapped at seventy-five characters, as Web of Science writes its plain text, "
     "joins with a space."),
    # A long paragraph line means nothing in the value is wrapped, even a
    # following line that happens to be near the wrapping width.
    (["Results: " + "word " * 39 + "word", "Conclusions: short but long enough to look like a",
      "wrap"], "Results: " + "word " * 39 + "word\n\nConclusions: short but long enough to"
                                             " look like a\n\nwrap"),
    # Short paragraphs, one per line (audit M4): labelled sections, or
    # sentences ending every line of a value of three or more lines.
    (["Background: Extracellular vesicles from MSCs may protect beta cells.",
      "Methods: Forty adults were randomised to MSC-EVs or to placebo."],
     "Background: Extracellular vesicles from MSCs may protect beta cells.\n\n"
     "Methods: Forty adults were randomised to MSC-EVs or to placebo."),
    (["We studied islet transplantation in 12 patients over 5 years in total.",
      "Graft function persisted in 9 of the 12 patients until the last visit.",
      "Insulin independence was achieved in 6 (50%) of the recipients overall."],
     "We studied islet transplantation in 12 patients over 5 years in total.\n\n"
     "Graft function persisted in 9 of the 12 patients until the last visit.\n\n"
     "Insulin independence was achieved in 6 (50%) of the recipients overall."),
    # A wrap that happens to fall between two sentences stays a wrap when the
    # other breaks of the value are wraps.
    (["We studied islet transplantation in twelve patients over five years.",
      "Graft function persisted in nine of the twelve patients until the last",
      "visit."],
     "We studied islet transplantation in twelve patients over five years. Graft function "
     "persisted in nine of the twelve patients until the last visit."),
])
def test_wos_join_lines(lines, expected):
    assert join_lines(lines) == expected


# ------------------------------------------------------ class 2: RIS lists

RIS_LIST_LINES = """TY  - JOUR
TI  - Keywords one per line
AU  - Smith, Jane
Doe, John
A1  - Roe, Richard
KW  - exosomes
mesenchymal stem cells
diabetes mellitus, type 2
UR  - https://example.org/one
https://example.org/two
N1  - First paragraph of a note.
Second paragraph of the note.
AB  - Abstract paragraph one.
Abstract paragraph two.
ER  - 

TY  - JOUR
TI  - Second
KW  - single
ER  - 
"""


def test_ris_list_tags_one_item_per_line(tmp_path, fresh_db):
    path = tmp_path / "rayyan.ris"
    path.write_text(RIS_LIST_LINES, encoding="utf-8")
    load(fresh_db, path)
    first, second = records_in_file_order(fresh_db)
    assert json.loads(first["keywords"]) == [
        "exosomes", "mesenchymal stem cells", "diabetes mellitus, type 2"]
    assert json.loads(first["authors"]) == ["Smith, Jane", "Doe, John", "Roe, Richard"]
    assert first["url"] == "https://example.org/one"
    extra = json.loads(first["extra"])
    assert extra["UR (urls)"] == "https://example.org/two"
    # N1 and AB lines are paragraphs of one value.
    assert extra["N1 (notes)"] == "First paragraph of a note.\n\nSecond paragraph of the note."
    assert first["abstract"] == "Abstract paragraph one.\n\nAbstract paragraph two."
    assert json.loads(second["keywords"]) == ["single"]


# ------------------------------------------- class 3: < and > are kept as text

def test_angle_brackets_that_are_text_survive_every_format(tmp_path, fresh_db):
    ris = tmp_path / "a.ris"
    ris.write_text("TY  - JOUR\nTI  - Doses <greater than or equal to> 5 mg, p < 0.001\n"
                   "AB  - c.126C > A; see <http://example.org/x>; HbA<sub>1c</sub> < 7%.\n"
                   "KW  - IL-6 <-> STAT3\nER  - \n", encoding="utf-8")
    csv = tmp_path / "b.csv"
    csv.write_text('title,abstract\n"Glucose <5.6 mmol/L","<p>Fasting <b>glucose</b> <7</p>"\n',
                   encoding="utf-8")
    load(fresh_db, ris, csv)
    first, second = records_in_file_order(fresh_db)
    assert first["title"] == "Doses <greater than or equal to> 5 mg, p < 0.001"
    assert first["abstract"] == "c.126C > A; see <http://example.org/x>; HbA1c < 7%."
    assert json.loads(first["keywords"]) == ["IL-6 <-> STAT3"]
    assert second["title"] == "Glucose <5.6 mmol/L"
    assert second["abstract"] == "Fasting glucose <7"


BIBTEX = r"""@article{zotero1,
  title = {Mutation c.126C {\textgreater} A and p {\textless} 0.001 in $<$5\% of cases},
  author = {M{\"u}ller, J{\"o}rg and Smith, Anne},
  abstract = {Of 120 patients, 45% responded (p $<$ 0.05) and 10 % relapsed; levels $>$ 2 ng/ml.
              {\copyright} 2020 Taylor & Francis},
  journal = {Stem Cell Research {\&} Therapy},
  doi = {10.1002/(SICI)1098-2795(199907)53:3{\textless}266::AID-MRD2{\textgreater}3.0.CO;2-6},
  url = {https://example.org/~user/paper\_1},
  year = {2020}
}

@article{scopus2,
  title = {{Soil fauna diversity}},
  volume = {6},
  number = {1},
  note = {cited By 3},
  note = {Export Date: 1 May 2020},
  year = {2020}
}
"""


def test_bibtex_latex_angle_brackets_percent_and_duplicated_fields(tmp_path, fresh_db):
    path = tmp_path / "zotero.bib"
    path.write_text(BIBTEX, encoding="utf-8")
    [source] = load(fresh_db, path)
    first, second = records_in_file_order(fresh_db)
    assert first["title"] == "Mutation c.126C > A and p < 0.001 in <5% of cases"
    assert first["abstract"] == ("Of 120 patients, 45% responded (p < 0.05) and 10 % relapsed; "
                                 "levels > 2 ng/ml. © 2020 Taylor & Francis")
    assert json.loads(first["authors"]) == ["Müller, Jörg", "Smith, Anne"]
    assert first["journal"] == "Stem Cell Research & Therapy"
    assert first["doi"] == "10.1002/(sici)1098-2795(199907)53:3<266::aid-mrd2>3.0.co;2-6"
    assert first["url"] == "https://example.org/~user/paper_1"
    # The entry with a duplicated field loses its braces like any other.
    assert (second["title"], second["volume"], second["issue"]) == ("Soil fauna diversity", "6", "1")
    assert json.loads(second["extra"])["note"] == ["cited By 3", "Export Date: 1 May 2020"]
    assert second["citation_count"] == 3
    assert any("duplicated field(s) note" in w for w in source["warnings"])


def test_scopus_bibtex_duplicated_field_entry_has_no_braces(fresh_db):
    load(fresh_db, CORPUS / "exports/bibtex/synthesisr/Scopus_bib_example.bib")
    for record in records_in_file_order(fresh_db):
        for column in ("title", "journal", "volume", "issue", "abstract", "first_author",
                       "language"):
            assert not (record[column] or "").startswith("{"), (column, record[column])
        assert all(not k.startswith("{") and not k.endswith("}")
                   for k in json.loads(record["keywords"]))
