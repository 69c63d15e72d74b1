"""Only real markup is removed, and text that looks like a tag is text
(audit of issue 12: H1 tag-like words, L4 entities without `;`, M3
paragraphs separated by one line break)."""

import pytest

from conftest import FIXTURES, load_files
from datasette_mscdm.markup import PARAGRAPH, clean_inline, has_markup, html_to_text

AUDIT = FIXTURES / "audit"

# Tag-like words in plain text, one per known tag that used to be taken for
# markup: an unclosed one swallowed the rest (label, title, style, script),
# the others were deleted (input, output, B, TT, Q, i) or became a
# paragraph break (p).
TAG_LIKE = ["label", "title", "style", "script", "input", "output", "B", "TT", "Q", "i", "p",
            "sub", "jats:p", "mml:mi", "br/"]


@pytest.mark.parametrize("name", TAG_LIKE)
def test_a_tag_like_word_nobody_closes_is_text(name):
    text = f"Each cell gets a <{name}> from the model. RESULTS: the rest survives."
    if name == "br/":
        # A self-closing known tag is markup even alone: prose never writes it.
        assert html_to_text(text) == (
            "Each cell gets a\n\nfrom the model. RESULTS: the rest survives.")
        return
    assert not has_markup(text)
    assert html_to_text(text) == text
    assert clean_inline(text) == text


@pytest.mark.parametrize("value,expected", [
    ("Rank order A<B>C of cytokines; genotype <TT> carriers",
     "Rank order A<B>C of cytokines; genotype <TT> carriers"),
    # An unclosed <style> or <title> in a field that has real markup is
    # still text: nothing after it is swallowed.
    ("<p>A <style> guide; <i>all</i> of this stays.</p><p>Next.</p>",
     "A <style> guide; all of this stays.\n\nNext."),
    ("<b>Aim</b> a <title> b <label> c", "Aim a <title> b <label> c"),
    # Real markup is still removed.
    ("<p>First <i>italic</i> &lt; 5.</p><p>Second</p>", "First italic < 5.\n\nSecond"),
    ("Notice of Retraction<BR><BR>After review", "Notice of Retraction\n\nAfter review"),
    ("<p>Cited: 12<br/>Total: 12</p>", "Cited: 12\n\nTotal: 12"),
    ('its <Emphasis Type="Italic">clarity</Emphasis> score', "its clarity score"),
    # A publisher's own closed tag is markup beside real markup, text alone.
    ("<p>See <URLREF>http://x.org/</URLREF></p>", "See http://x.org/"),
    ("Brooks's <bi>MMM</bi> is cited", "Brooks's <bi>MMM</bi> is cited"),
    # Void tags count only where the field has real markup.
    ("<p>Run <input> and <i>x</i></p>", "Run <input> and x"),
    ("<p>One<p>Two</p>", "One\n\nTwo"),
    ("<script>alert(1)</script>Safe", "Safe"),
])
def test_only_real_markup_is_removed(value, expected):
    assert html_to_text(value) == expected


def test_text_already_decoded_is_never_markup():
    # An XML text node that the file wrote as &lt;i&gt;...&lt;/i&gt;.
    assert html_to_text("the <i>label</i> <style>", markup=False) == "the <i>label</i> <style>"
    assert clean_inline("a <b>b</b>", markup=False) == "a <b>b</b>"


@pytest.mark.parametrize("value,expected", [
    ("https://x.org/?cond=diabetes&region=EU&para=1&copy=2",
     "https://x.org/?cond=diabetes&region=EU&para=1&copy=2"),
    ("Smith &amp; Jones &copy; 2020 &#8211; &#x3b2;", "Smith & Jones © 2020 – β"),
    ("<p>R&D &para 3 &amp; more</p>", "R&D &para 3 & more"),
])
def test_entities_need_their_semicolon(value, expected):
    assert html_to_text(value) == expected


# ------------------------------------------------------------- paragraphs

@pytest.mark.parametrize("value,expected", [
    ("Background: x.\nMethods: y.", "Background: x.\n\nMethods: y."),
    ("We studied\nBACKGROUND AND AIMS: z\nMaterials and methods: w",
     "We studied\n\nBACKGROUND AND AIMS: z\n\nMaterials and methods: w"),
    ("A value wrapped\nat a width joins.", "A value wrapped at a width joins."),
])
def test_a_labelled_section_starts_a_paragraph(value, expected):
    assert html_to_text(value) == expected


def test_cells_break_paragraphs_at_every_line_break():
    assert html_to_text("Para one.\nPara two.\r\nPara three.", line_breaks=PARAGRAPH) == (
        "Para one.\n\nPara two.\n\nPara three.")


# ------------------------------------------------- through the real loader

def test_pubmed_xml_escaped_label_is_text(fresh_db):
    _, [record] = load_files(fresh_db, AUDIT / "pubmed_label.xml")
    assert record["title"] == "scPred: predicting the <label> of single cells in diabetic islets."
    assert record["abstract"] == (
        "MOTIVATION: The classifier assigns a <label> to each beta cell from its expression "
        "profile.\n\nRESULTS: Accuracy was 94% across 12 datasets of human islets.")


def test_xml_text_nodes_are_never_markup(tmp_path, fresh_db):
    """Entity-escaped tags of every kind stay in PubMed and EndNote XML text."""
    escaped = "A &lt;i&gt;x&lt;/i&gt; and &lt;style&gt; and &lt;b&gt;y&lt;/b&gt; end"
    pubmed = tmp_path / "p.xml"
    pubmed.write_text(
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        f"<ArticleTitle>{escaped} <i>real</i></ArticleTitle><Abstract><AbstractText>{escaped}"
        "</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>"
        "</PubmedArticleSet>", encoding="utf-8")
    endnote = tmp_path / "e.xml"
    endnote.write_text(
        "<xml><records><record><ref-type name=\"Journal Article\">17</ref-type><titles><title>"
        f"{escaped} B</title></titles><abstract>{escaped}&#xD;Second paragraph</abstract>"
        "</record></records></xml>", encoding="utf-8")
    _, (first, second) = load_files(fresh_db, pubmed, endnote)
    text = "A <i>x</i> and <style> and <b>y</b> end"
    assert first["title"] == text + " real"
    assert first["abstract"] == text
    assert second["title"] == text + " B"
    assert second["abstract"] == text + "\n\nSecond paragraph"


def test_ris_and_csv_tag_like_words_survive(tmp_path, fresh_db):
    csv = tmp_path / "t.csv"
    csv.write_text('title,abstract\n"Scores <label> and <title> kept","Run <input>. <style> '
                   'guide; the rest survives."\n', encoding="utf-8")
    _, (ris, row) = load_files(fresh_db, AUDIT / "ris_angle.ris", csv)
    assert ris["title"] == "Rank order A<B>C of cytokines; genotype <TT> carriers"
    assert ris["abstract"] == ("Command-line tool: run <input> and read <output>. A <style> guide "
                               "followed; everything after this must survive.")
    assert row["title"] == "Scores <label> and <title> kept"
    assert row["abstract"] == "Run <input>. <style> guide; the rest survives."


def test_single_line_breaks_are_paragraphs_in_cells_json_and_xml(fresh_db):
    _, records = load_files(fresh_db, AUDIT / "csl_zotero.json", AUDIT / "endnote.xml",
                            AUDIT / "asreview.jsonl")
    by_title = {r["title"]: r for r in records}
    csl = by_title["Exosomes from MSCs < 100 nm: SGLT2 and β-cells"]
    assert csl["abstract"].split("\n\n") == [
        "Background: MSC-EVs reduced HbA1c (p < 0.001).",
        "Methods: 40 patients <greater than or equal to> 18 years.",
        "Results: IL-1β fell.", "Conclusions: Promising."]
    assert by_title["Mendeley item with inline tail text"]["abstract"].count("\n\n") == 1
    assert by_title["Exosomes & β-cells bold"]["abstract"] == "Background: x.\n\nMethods: y."
