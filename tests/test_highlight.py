"""Include/exclude highlighting: escaping, overlaps, word boundaries."""

from datasette_mscdm.highlight import Highlighter, safe_url

MARKS = Highlighter.from_config({"highlight": {"include": ["exosome", "stem cell", "β-cell"],
                                               "exclude": ["cancer", "stem"]}})


def test_matches_are_marked_and_everything_else_escaped():
    html = str(MARKS.markup("Exosomes <script>alert(1)</script> & cancer"))
    assert html == ('<mark class="mscdm-include">Exosomes</mark> &lt;script&gt;alert(1)'
                    '&lt;/script&gt; &amp; <mark class="mscdm-exclude">cancer</mark>')


def test_term_inside_markup_is_escaped_inside_the_mark():
    assert str(MARKS.markup("<exosome>")) == '&lt;<mark class="mscdm-include">exosome</mark>&gt;'


def test_word_starts_only_and_any_ending():
    assert "mark" not in str(MARKS.markup("nonexosome"))
    assert str(MARKS.markup("exosomes")).count("<mark") == 1
    assert "mark" not in str(MARKS.markup("exosomal"))  # does not start with "exosome"
    assert "<mark" in str(MARKS.markup("β-cells"))


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
