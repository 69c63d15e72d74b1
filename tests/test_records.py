"""The pure normalisation functions behind every format."""

import pytest

from datasette_mscdm.records import (INVALID_DOI_KEY, LISTED_DOIS_KEY, Record, clean_inline, exact_duplicate_key,
                                     find_doi, html_to_text, normalise_doi, normalise_pmcid,
                                     parse_open_access, parse_year, split_authors, split_terms,
                                     surname)


# DOI Handbook normalisation of a DOI field's value (issue 12, class 4).
@pytest.mark.parametrize("value,expected", [
    ("10.1000/ABC.def", "10.1000/abc.def"),
    ("https://doi.org/10.3390/Biomimetics10010049", "10.3390/biomimetics10010049"),
    ("http://dx.doi.org/10.4103/2303-9027.138783", "10.4103/2303-9027.138783"),
    ("https://www.doi.org/10.1000/x", "10.1000/x"),
    ("doi:10.1016/j.x.2019.1.", "10.1016/j.x.2019.1"),
    ("DOI: 10.1016/j.x.2019.1", "10.1016/j.x.2019.1"),
    ("DOI 10.1016/S0016-5085(16)30847-2", "10.1016/s0016-5085(16)30847-2"),  # EndNote
    ("doi: https://doi.org/10.1000/XYZ", "10.1000/xyz"),
    ("info:doi/10.1000/xyz", "10.1000/xyz"),
    ("urn:doi:10.1000/xyz", "10.1000/xyz"),
    ("10.1016/S0048-9697(17)30912-9 [doi]", "10.1016/s0048-9697(17)30912-9"),
    # SICI DOIs keep their < > ; ( ) whole: no markup cleaning on identifiers.
    ("10.1002/(SICI)1098-2795(199907)53:3<266::AID-MRD2>3.0.CO;2-6",
     "10.1002/(sici)1098-2795(199907)53:3<266::aid-mrd2>3.0.co;2-6"),
    ("10.1175/1520-0469(1993)050<0001:ATOTDS>2.0.CO;2",
     "10.1175/1520-0469(1993)050<0001:atotds>2.0.co;2"),
    # Percent-escapes decode (a DOI copied out of a URL).
    ("https://doi.org/10.1002%2F%28SICI%291098-2795%28199907%2953%3A3%3C266%3A%3AAID-MRD2"
     "%3E3.0.CO%3B2-6", "10.1002/(sici)1098-2795(199907)53:3<266::aid-mrd2>3.0.co;2-6"),
    ("10.1000/a(b)", "10.1000/a(b)"),  # its own brackets stay; a stray closing one goes
    ("10.1000/xyz)", "10.1000/xyz"),
    ("10.1000.10/abc", "10.1000.10/abc"),  # registrant codes may have sub-parts
    # Not DOIs: None, never a part that looks like one.
    ("10.1037.a0037593", None),
    ("S0048-9697(17)30912-9 [pii]", None),
    ("http://sfx?id=doi:10.1002/cncr.20369&atitle=Endoscopic", None),
    ("10.1000/ abc", None),
    ("", None),
    (None, None),
])
def test_normalise_doi(value, expected):
    assert normalise_doi(value) == expected


def test_normalise_doi_is_idempotent_and_case_insensitive():
    for doi in ("10.1002/(SICI)1098-2795(199907)53:3<266::AID-MRD2>3.0.CO;2-6",
                "https://doi.org/10.1000/ABC", "doi:10.1016/j.x.2019.1."):
        once = normalise_doi(doi)
        assert normalise_doi(once) == once
        assert normalise_doi(doi.upper().replace("HTTPS://DOI.ORG/", "https://doi.org/")) == once


@pytest.mark.parametrize("value,expected", [
    ("http://sfx?id=doi:10.1002/cncr.20369&atitle=Endoscopic", "10.1002/cncr.20369"),
    ("https://x/?doi=10.15598%2faeee.v16i3.2698&partnerID=40", "10.15598/aeee.v16i3.2698"),
    ("rft_id=info:doi/10.1002%2F%28SICI%291098-2795%28199907%2953%3A3%3C266%3A%3AAID-MRD2"
     "%3E3.0.CO%3B2-6&rft.x=1", "10.1002/(sici)1098-2795(199907)53:3<266::aid-mrd2>3.0.co;2-6"),
    ("see <https://doi.org/10.1000/abc>.", "10.1000/abc"),
    ("Export Date: 12 May 2022", None),
])
def test_find_doi_in_links_and_notes(value, expected):
    assert find_doi(value) == expected


def test_invalid_doi_field_is_kept_in_extra_with_a_warning():
    record = Record(title="T", doi="10.1037.a0037593").finish()
    assert record.doi is None
    assert record.extra[INVALID_DOI_KEY] == "10.1037.a0037593"
    assert "10.1037.a0037593" in record.warnings[0]
    # A DOI found in a link is used then, and the field's value is still kept.
    record = Record(doi="10.1037.a0037593", doi_elsewhere="10.1037/a0037593").finish()
    assert record.doi == "10.1037/a0037593" and INVALID_DOI_KEY in record.extra


@pytest.mark.parametrize("given,doi", [
    ("10.1371/journal.pmed.1002994; 10.1371/journal.pmed.1002994.r001",
     "10.1371/journal.pmed.1002994"),
    ("ARTN 106\r\n10.1186/s12933-018-0749-1", "10.1186/s12933-018-0749-1"),
    ("10.1000/a 10.1000/b", "10.1000/a"),
])
def test_doi_field_holding_more_than_a_doi(given, doi):
    record = Record(doi=given).finish()
    assert record.doi == doi
    assert record.extra[LISTED_DOIS_KEY] == given and not record.warnings


def test_missing_value_markers_are_no_doi():
    for marker in ("NA", "n/a", "nan", "-"):
        record = Record(doi=marker).finish()
        assert record.doi is None and not record.warnings and not record.extra


def test_identifiers_and_links_are_not_markup_cleaned():
    record = Record(url="https://x.org/a?b=1&copy=2&lt=3", pdf_url=" https://x.org/<1>.pdf ",
                    doi="10.1002/(SICI)1098-2795(199907)53:3<266::AID-MRD2>3.0.CO;2-6").finish()
    assert record.url == "https://x.org/a?b=1&copy=2&lt=3"
    assert record.pdf_url == "https://x.org/<1>.pdf"
    assert record.doi.endswith("53:3<266::aid-mrd2>3.0.co;2-6")


def test_html_to_text_keeps_paragraphs_and_structured_labels():
    html = ("<jats:sec><jats:title>Background</jats:title><jats:p>First &amp; "
            "<i>second</i>.</jats:p></jats:sec><jats:sec><jats:title>Methods</jats:title>"
            "<jats:p>Third.</jats:p></jats:sec>")
    assert html_to_text(html) == "Background: First & second.\n\nMethods: Third."


# Only real markup is removed; every other < and > is text (issue 12, class 3).
@pytest.mark.parametrize("value,expected", [
    ("p < 0.001 and c.126C > A", "p < 0.001 and c.126C > A"),
    ("p<0.05 vs p>0.1", "p<0.05 vs p>0.1"),
    ("dose <greater than or equal to> 5 mg", "dose <greater than or equal to> 5 mg"),
    ("see <http://example.org/a?b=1> now", "see <http://example.org/a?b=1> now"),
    ("x <p and y> z", "x <p and y> z"),  # "p" is a tag name, but this is no tag
    ("<p>First <i>italic</i> &lt; 5.</p><p>Second</p>", "First italic < 5.\n\nSecond"),
    ("CD34<sup>+</sup> cells, p < 0.01", "CD34+ cells, p < 0.01"),
    ("<jats:p>A<jats:sub>1c</jats:sub> < 7%</jats:p>", "A1c < 7%"),
    ('<mml:math><mml:mi>x</mml:mi></mml:math> > 2', "x > 2"),
    ('<span class="x">kept</span> <b>bold</b>', "kept bold"),
    ("a <!-- comment --> b", "a b"),
    ("p &amp;lt; .0001 &amp;amp; more", "p < .0001 & more"),  # escaped twice by the source
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),  # text, not a tag
])
def test_html_to_text_removes_only_markup(value, expected):
    assert html_to_text(value) == expected


def test_clean_inline_keeps_angle_brackets_in_titles():
    assert clean_inline("Effects of <i>BMP-2</i> at <10 ng/ml") == "Effects of BMP-2 at <10 ng/ml"


def test_split_terms_keeps_parenthesised_subheadings():
    assert split_terms("cyst (diagnosis, surgery), colon, x-ray") == [
        "cyst (diagnosis, surgery)", "colon", "x-ray"]
    assert split_terms("Aged, 80 and over; Humans") == ["Aged, 80 and over", "Humans"]


@pytest.mark.parametrize("value,expected", [
    ("All Open Access; Gold Open Access", True), ("Open Access", True), ("TRUE", True),
    ("yes", True), ("0", False), ("false", False), ('{"is_oa": true, "oa_status": "gold"}', True),
    ('{"is_oa": false}', False), ("", None), ("Bronze", None), (None, None),
])
def test_parse_open_access(value, expected):
    assert parse_open_access(value) is expected


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
