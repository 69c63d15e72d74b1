"""Which lines of a tagged export are tags (audit of issue 12, H2): a RIS tag
line is two characters, two spaces, a hyphen and a space; a line shaped
`XX - text` inside an abstract is text, and text found outside any record is
kept with a warning, never dropped."""

import pytest

from conftest import FIXTURES, load_files
from datasette_mscdm.formats.ris import parse_line

AUDIT = FIXTURES / "audit"


def test_er_with_one_space_in_an_abstract_is_text(fresh_db):
    [source], (first, second) = load_files(fresh_db, AUDIT / "ris_er_in_abstract.ris")
    assert first["abstract"] == ("Background: We studied two receptor groups.\n\n"
                                 "ER - positive tumours responded; PR - negative did not.\n\n"
                                 "Conclusions: see text.")
    assert first["keywords"] == ["breast cancer"]
    assert (first["year"], first["journal"], first["doi"]) == (
        2020, "Breast", "10.1016/j.breast.2020.01.001")
    assert first["raw"].endswith("DO  - 10.1016/j.breast.2020.01.001\nER  - ")
    assert second["title"] == "Next record"
    assert not source["warnings"]


@pytest.mark.parametrize("prefix", ["ER", "UK", "PR", "AB", "TY", "KW", "T1"])
def test_a_two_letter_word_before_a_spaced_hyphen_continues_the_value(tmp_path, fresh_db,
                                                                       prefix):
    path = tmp_path / "a.ris"
    path.write_text(f"TY  - JOUR\nTI  - T\nAB  - First line.\n{prefix} - wide registries helped.\n"
                    "Last line.\nPY  - 2020\nER  - \n", encoding="utf-8")
    _, [record] = load_files(fresh_db, path)
    assert record["abstract"] == f"First line.\n\n{prefix} - wide registries helped.\n\nLast line."
    assert record["year"] == 2020
    assert not any(key.startswith(prefix) for key in record["extra"])


def test_a_file_written_with_one_space_is_read_so(tmp_path, fresh_db):
    path = tmp_path / "one.ris"
    path.write_text("TY - JOUR\nTI - One space\nAU - Smith, J\nPY - 2019\nER - \n\n"
                    "TY - BOOK\nTI - Second\nER -\n", encoding="utf-8")
    _, (first, second) = load_files(fresh_db, path)
    assert (first["title"], first["authors"], first["year"]) == ("One space", ["Smith, J"], 2019)
    assert second["title"] == "Second"


@pytest.mark.parametrize("line,expected", [
    ("TI  - A title", ("TI", "A title")), ("ER  -", ("ER", "")), ("ER  - ", ("ER", "")),
    ("T1   - More spaces", ("T1", "More spaces")), ("ER - positive", None),
    ("ER  -positive", None), ("Er  - x", None), (" ER  - x", None),
])
def test_ris_tag_lines(line, expected):
    assert parse_line(line) == expected


def test_text_after_an_end_tag_is_kept_with_a_warning(tmp_path, fresh_db):
    path = tmp_path / "after.ris"
    path.write_text("1.\nTY  - JOUR\nTI  - First\nAB  - Start of the abstract.\nER  - \n"
                    "the rest of the abstract\nKW  - stray keyword\n\n2.\nTY  - JOUR\n"
                    "TI  - Second\nER  - \n", encoding="utf-8")
    [source], (first, second) = load_files(fresh_db, path)
    assert first["extra"]["(text after the end of the record)"] == (
        "the rest of the abstract\nKW  - stray keyword")
    assert first["raw"].endswith("ER  - \nthe rest of the abstract\nKW  - stray keyword")
    assert second["raw"].startswith("TY  - JOUR\nTI  - Second")
    # The stray tag line makes it worth a look.
    assert any("record 1: 2 line(s) after its end" in w for w in source["warnings"])
    assert len(source["warnings"]) == 1  # Ovid's "1." and "2." are record numbers


def test_text_before_the_first_record_is_kept_with_a_warning(tmp_path, fresh_db):
    path = tmp_path / "header.ris"
    path.write_text("Exported by a database\nTY  - JOUR\nTI  - First\nER  - \n", encoding="utf-8")
    [source], [record] = load_files(fresh_db, path)
    assert record["extra"]["(text before the first record)"] == "Exported by a database"
    assert source["warnings"]


def test_wos_header_and_end_of_file_tags_are_not_text(fresh_db):
    [source], records = load_files(fresh_db, AUDIT / "wos_plain_crlf.txt")
    assert len(records) == 2 and not source["warnings"]


def test_ovid_link_lines_after_each_record_are_kept(fresh_db):
    from conftest import CORPUS

    [source], records = load_files(fresh_db, CORPUS / "exports/ris/synthesisr/Ovid_ris_example.ris")
    for record in records:
        assert record["extra"]["(text after the end of the record)"].startswith(
            "Link to the Ovid Full Text or citation: http://ovidsp.ovid.com/")
        assert "\nLink to the Ovid Full Text" in record["raw"]
    assert not source["warnings"]  # the line is Ovid's own, no tag line: nothing to look at
