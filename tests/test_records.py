"""The pure normalisation functions behind every format."""

import pytest

from datasette_mscdm.records import (Record, exact_duplicate_key, html_to_text, normalise_doi,
                                     normalise_pmcid, parse_year, split_authors, surname)


@pytest.mark.parametrize("value,expected", [
    ("10.1000/ABC.def", "10.1000/abc.def"),
    ("https://doi.org/10.3390/Biomimetics10010049", "10.3390/biomimetics10010049"),
    ("http://dx.doi.org/10.4103/2303-9027.138783", "10.4103/2303-9027.138783"),
    ("doi:10.1016/j.x.2019.1.", "10.1016/j.x.2019.1"),
    ("10.1016/S0048-9697(17)30912-9 [doi]", "10.1016/s0048-9697(17)30912-9"),
    ("http://sfx?id=doi:10.1002/cncr.20369&atitle=Endoscopic", "10.1002/cncr.20369"),
    ("https://x/?doi=10.15598%2faeee.v16i3.2698&partnerID=40", "10.15598/aeee.v16i3.2698"),
    ("S0048-9697(17)30912-9 [pii]", None),
    ("", None),
    (None, None),
])
def test_normalise_doi(value, expected):
    assert normalise_doi(value) == expected


def test_html_to_text_keeps_paragraphs_and_structured_labels():
    html = ("<jats:sec><jats:title>Background</jats:title><jats:p>First &amp; "
            "<i>second</i>.</jats:p></jats:sec><jats:sec><jats:title>Methods</jats:title>"
            "<jats:p>Third.</jats:p></jats:sec>")
    assert html_to_text(html) == "Background: First & second.\n\nMethods: Third."


def test_html_to_text_drops_scripts_and_keeps_plain_paragraphs():
    assert html_to_text("<p>Safe</p><script>alert(1)</script>") == "Safe"
    assert html_to_text("One\nline.\n\nTwo.") == "One line.\n\nTwo."
    assert html_to_text("a < b and c > d") == "a < b and c > d"


@pytest.mark.parametrize("value,expected", [
    ("Roach M.C., Thompson F.R., III, Jones-Farrand T.",
     ["Roach M.C.", "Thompson F.R., III", "Jones-Farrand T."]),
    ("Labanski, A., Langhorst, J.", ["Labanski, A.", "Langhorst, J."]),
    ("Smith, John", ["Smith, John"]),
    ("P Nazzaro; M Manzari", ["P Nazzaro", "M Manzari"]),
    ("Zuna, R E and Wang, S S", ["Zuna, R E", "Wang, S S"]),
    ("Ju-El Kim, Jong-Won Lee", ["Ju-El Kim", "Jong-Won Lee"]),
])
def test_split_authors(value, expected):
    assert split_authors(value) == expected


@pytest.mark.parametrize("name,expected", [
    ("Kim, Ju-El", "kim"), ("Ju-El Kim", "kim"), ("Liu R.", "liu"), ("Smith JA", "smith"),
    ("van Acker, B.", "van acker"), ("Müller, Jörg", "muller"), ("Thompson F.R., III", "thompson"),
])
def test_surname(name, expected):
    assert surname(name) == expected


def test_exact_duplicate_key_needs_title_year_and_author():
    record = Record(title="The Potential of MSC-Exosomes!", year=2025, authors=["Ju-El Kim"]).finish()
    assert exact_duplicate_key(record) == "the potential of msc exosomes|2025|kim"
    assert exact_duplicate_key(Record(title="X", year=2020).finish()) is None


def test_parse_year_and_pmcid():
    assert parse_year("2019 Mar 15") == 2019
    assert parse_year("Sun,") is None
    assert normalise_pmcid("11760843") == "PMC11760843"
    assert normalise_pmcid("pmc123") == "PMC123"


def test_record_lists_missing_essential_fields():
    record = Record(abstract="Something", authors=["Zhang"]).finish()
    assert record.missing_fields() == ["title", "year", "journal", "doi"]
