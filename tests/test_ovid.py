"""Ovid native exports (audit of issue 12: M1 the record number is a PMID
only in MEDLINE, M6 the source field split without taking a conference's
name for a volume, L5 Ovid's PM tag)."""

import pytest

from conftest import FIXTURES, load_files
from datasette_mscdm.formats.ovid import split_source

AUDIT = FIXTURES / "audit"


@pytest.mark.parametrize("source,parts", [
    ("Diabetes. Conference: 73rd Scientific Sessions of the American Diabetes Association. "
     "Chicago, IL United States. 62(SUPPL. 1) (pp A100), 2013.",
     ("Diabetes", "62", "SUPPL. 1", "A100", "2013")),
    ("Diabetologia. 63(4) (pp 700-712), 2020.", ("Diabetologia", "63", "4", "700-712", "2020")),
    ("Stem Cell Research & Therapy. 12(1):101, 2021 Mar 12.",
     ("Stem Cell Research & Therapy", "12", "1", "101", "2021")),
    ("Lancet. 395(10223):497-506, 2020 02 15.", ("Lancet", "395", "10223", "497-506", "2020")),
    ("Journal of X. 45 (pp 1-9), 2019.", ("Journal of X", "45", None, "1-9", "2019")),
    ("BMJ. 2020;368:m1.", ("BMJ", "368", None, "m1", "2020")),
    ("Conference abstract only. Conference: Annual Meeting, 2019.",
     ("Conference abstract only", None, None, None, "2019")),
])
def test_split_source(source, parts):
    found = split_source(source)
    assert (found["journal"], found["volume"], found["issue"], found["pages"], found["year"]) == parts


def test_unique_identifier_is_a_pmid_only_in_medline(fresh_db):
    _, (medline, embase) = load_files(fresh_db, AUDIT / "ovid_labelled.txt")
    # The search history names Ovid MEDLINE; the second record says Embase.
    assert medline["pmid"] == "33712345"
    assert embase["pmid"] is None
    assert embase["extra"]["Unique Identifier"] == "2011234567"  # kept whole, as given
    assert (embase["volume"], embase["issue"], embase["pages"]) == ("62", "SUPPL. 1", "A100")


def test_tagged_layout_pubmed_id_and_paragraphs(fresh_db):
    _, [record] = load_files(fresh_db, AUDIT / "ovid_tagged.txt")
    assert record["pmid"] == "32000000"  # PM, not the Embase accession number
    assert record["extra"]["AN"] == "633456789"
    assert record["pages"] == "700-712"
    assert record["abstract"] == "Background: short.\n\nMethods: wrapped line two of the abstract."
    assert record["title"] == ("Exosomes in type 2 diabetes: a prospective cohort with a very long "
                               "title that wraps onto the next line.")


def test_an_embase_export_without_database_field_keeps_its_numbers(tmp_path, fresh_db):
    path = tmp_path / "embase.txt"
    path.write_text("Database: Embase <1974 to 2024 January 05>\n\n<1>\nUnique Identifier\n"
                    "  2011234567\nTitle\n  One\n\n<2>\nUnique Identifier\n  12345678\nTitle\n"
                    "  Two\n", encoding="utf-8")
    _, (first, second) = load_files(fresh_db, path)
    assert first["pmid"] is None and second["pmid"] is None
    assert second["extra"]["Unique Identifier"] == "12345678"
