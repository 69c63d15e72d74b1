"""Include/exclude highlighting: escaping, overlaps, whole words, acronyms in
capitals only, explicit wildcards, the vocabulary's case rules, criterion terms."""

import re

from datasette_mscdm.highlight import Highlighter, safe_url

MARKS = Highlighter.from_config({"highlight": {"include": ["exosome", "stem cell", "β-cell"],
                                               "exclude": ["cancer", "stem"]}})


def test_matches_are_marked_and_everything_else_escaped():
    html = str(MARKS.markup("Exosomes <script>alert(1)</script> & cancer"))
    assert html == ('<mark class="mscdm-include">Exosomes</mark> &lt;script&gt;alert(1)'
                    '&lt;/script&gt; &amp; <mark class="mscdm-exclude">cancer</mark>')


def test_term_inside_markup_is_escaped_inside_the_mark():
    assert str(MARKS.markup("<exosome>")) == '&lt;<mark class="mscdm-include">exosome</mark>&gt;'


def test_whole_words_with_a_plural_ending_only():
    assert "mark" not in str(MARKS.markup("nonexosome"))
    assert str(MARKS.markup("exosomes")).count("<mark") == 1
    assert "mark" not in str(MARKS.markup("exosomal"))  # no wildcard: not another word
    assert "<mark" in str(MARKS.markup("β-cells"))


def marked(highlighter, text):
    return re.findall(r"<mark[^>]*>([^<]*)</mark>", str(highlighter.markup(text)))


def test_short_upper_case_terms_match_as_whole_words_in_capitals_only():
    marks = Highlighter.from_config({"highlight": {"include": ["EV", "MSC", "DM", "T2DM"]}})
    text = ("EVs and EV from MSCs evolved; evaluate the ev of a msc in dm, DM and T2DM;"
            " EVIDENCE, MSCT, EV-derived")
    assert marked(marks, text) == ["EVs", "EV", "MSCs", "DM", "T2DM", "EV"]


def test_wildcards_are_explicit():
    marks = Highlighter.from_config({"highlight": {"include": ["exosom*", "diabetes"]}})
    assert marked(marks, "Exosomes, exosomal and exosome; diabetes, diabetic") == [
        "Exosomes", "exosomal", "exosome", "diabetes"]


def test_the_vocabularys_case_rules_apply_to_highlight_terms():
    marks = Highlighter.from_config({"highlight": {"include": ["SHED", "sEV"]}},
                                    case_sensitive=frozenset({"SHED", "sEV"}))
    assert marked(marks, "cells shed SHED; sev sEV sEVs") == ["SHED", "sEV", "sEVs"]
    loose = Highlighter.from_config({"highlight": {"include": ["Shed"]}})
    assert marked(loose, "cells shed SHED") == ["shed", "SHED"]


def test_criterion_terms_carry_their_criterion():
    from datasette_mscdm.screening.protocol import parse_protocol

    protocol = parse_protocol({"criteria": {"population": {
        "include": "Diabetes", "highlight": ["diabet*", "STZ"]}}})
    html = str(Highlighter.from_config({}, protocol).markup("STZ diabetic <b>"))
    assert html == ('<mark class="mscdm-include mscdm-criterion" title="Population">STZ</mark> '
                    '<mark class="mscdm-include mscdm-criterion" title="Population">diabetic'
                    '</mark> &lt;b&gt;')


def test_overlaps_longest_and_exclude_first():
    # "stem" (exclude) and "stem cell" (include) start together: exclude wins.
    html = str(MARKS.markup("stem cell"))
    assert html.startswith('<mark class="mscdm-exclude">stem</mark>')
    assert html.count("<mark") == 1


def test_paragraphs_keep_structured_labels():
    paragraphs = MARKS.paragraphs("BACKGROUND: Exosomes.\n\nMETHODS: Mice.\n\nPlain text.")
    assert [p["label"] for p in paragraphs] == ["BACKGROUND", "METHODS", None]
    assert str(paragraphs[0]["html"]) == '<mark class="mscdm-include">Exosomes</mark>.'


def test_snippet_cuts_on_a_word():
    assert str(MARKS.snippet("word " * 200, 20)) == "word word word word …"


def test_no_configuration_means_no_marks():
    assert str(Highlighter.from_config(None).markup("a < b")) == "a &lt; b"


def test_safe_url():
    assert safe_url("https://doi.org/10.1/x") == "https://doi.org/10.1/x"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JAVASCRIPT:alert(1)") is None
    assert safe_url("data:text/html,hi") is None
