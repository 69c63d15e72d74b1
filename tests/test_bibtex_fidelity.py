"""BibTeX read as BibTeX reads it (audit of issue 12: M2 a braced corporate
author, L3 @string concatenation and upper-case AND, L5 Scopus's pubmed_id
and document_type)."""

import pytest

from conftest import FIXTURES, load_files
from datasette_mscdm.formats.bibtex import split_names, value_text

AUDIT = FIXTURES / "audit"


@pytest.mark.parametrize("value,expected", [
    ('diab # " Supplement"', "Diabetologia Supplement"),
    ('{Text} # " and " # diab', "Text and Diabetologia"),
    ("{Braced {inner} text}", "Braced {inner} text"),
    ('"Quoted"', "Quoted"),
    ("2020", "2020"),
    ("mar", "mar"),  # an undefined macro (a month) stays as written
    ('{a # b}', "a # b"),  # a # inside braces is text
])
def test_value_text(value, expected):
    assert value_text(value, {"diab": "Diabetologia"}) == expected


@pytest.mark.parametrize("value,expected", [
    ("Zhang, Wei AND Li, Xiaoming", ["Zhang, Wei", "Li, Xiaoming"]),
    ("M{\\\"u}ller, J and {Centers for Disease Control and Prevention} and Roe, R",
     ["Müller, J", "Centers for Disease Control and Prevention", "Roe, R"]),
    ("Andersen, A and Sand, B", ["Andersen, A", "Sand, B"]),
])
def test_split_names(value, expected):
    assert split_names(value) == expected


def test_bibtex_strings_concatenation_and_names(fresh_db):
    _, records = load_files(fresh_db, AUDIT / "bib_strings.bib", AUDIT / "bib_mixed.bib")
    strings, zotero, scopus, _jabref = records
    assert strings["journal"] == "Diabetologia Supplement"
    assert strings["authors"] == ["Zhang, Wei", "Li, Xiaoming"]
    assert zotero["authors"] == ["Müller, Jürgen", "Łącki, Paweł",
                                 "Centers for Disease Control and Prevention",
                                 "van der Berg, Anna", "Zhang, Wei"]
    # Scopus's PubMed ID and document type go to their columns.
    assert scopus["pmid"] == "32000000"
    assert scopus["publication_types"] == ["article", "Review"]
    assert "pubmed_id" not in scopus["extra"] and "document_type" not in scopus["extra"]
