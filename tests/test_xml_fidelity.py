"""XML keeps all its text and reads its codes (audit of issue 12: H4 text
after an inline element, L1 a PubMed book's publication type, L2 EndNote's
numeric reference types, L5 EndNote's PubMed accession number)."""

import pytest

from conftest import FIXTURES, load_files
from datasette_mscdm.formats.endnote_xml import REFERENCE_TYPES

AUDIT = FIXTURES / "audit"

PUBMED_MIXED = """<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>Exosomes in diabetes</ArticleTitle><Abstract><AbstractText>English.</AbstractText></Abstract>
<VernacularTitle>外泌体<i>治疗</i>糖尿病。</VernacularTitle></Article>
<OtherAbstract Type="Publisher" Language="chi"><AbstractText>背景：<i>外泌体</i>降低了 HbA1c 水平，p &lt; 0.05，<b>结论</b>：有效。</AbstractText></OtherAbstract>
<CommentsCorrectionsList><CommentsCorrections RefType="Cites"><RefSource>Smith <i>et al.</i> Lancet 2019; tail text</RefSource></CommentsCorrections></CommentsCorrectionsList>
</MedlineCitation><PubmedData><ReferenceList><Reference><Citation>Doe J. <i>Cell</i> 2020;1:2. Tail after italics.</Citation></Reference></ReferenceList></PubmedData>
</PubmedArticle></PubmedArticleSet>"""


def test_text_after_an_inline_element_is_kept_in_extra(tmp_path, fresh_db):
    path = tmp_path / "mixed.xml"
    path.write_text(PUBMED_MIXED, encoding="utf-8")
    _, [record] = load_files(fresh_db, path)
    extra = record["extra"]
    assert record["abstract"] == "English."
    assert extra["MedlineCitation/OtherAbstract/AbstractText"] == (
        "背景：外泌体降低了 HbA1c 水平，p < 0.05，结论：有效。")
    assert extra["MedlineCitation/Article/VernacularTitle"] == "外泌体治疗糖尿病。"
    assert extra["MedlineCitation/CommentsCorrectionsList/CommentsCorrections/RefSource"] == (
        "Smith et al. Lancet 2019; tail text")
    assert extra["PubmedData/ReferenceList/Reference/Citation"] == (
        "Doe J. Cell 2020;1:2. Tail after italics.")
    assert not any(key.endswith("/i") or key.endswith("/b") for key in extra)


def test_endnote_research_notes_keep_their_tail(fresh_db):
    _, records = load_files(fresh_db, AUDIT / "endnote.xml")
    assert records[1]["extra"]["research-notes"] == "Note with bold and tail after bold."


def test_pubmed_book_publication_types(fresh_db):
    _, (_article, book) = load_files(fresh_db, AUDIT / "pubmed_edge.xml")
    assert book["publication_types"] == ["Review"]


@pytest.mark.parametrize("code,name", [(17, "Journal Article"), (5, "Book Section"),
                                       (47, "Conference Paper"), (32, "Thesis"), (6, "Book")])
def test_endnote_numeric_reference_types(tmp_path, fresh_db, code, name):
    path = tmp_path / "e.xml"
    path.write_text(f"<xml><records><record><ref-type>{code}</ref-type><titles><title>T</title>"
                    "</titles></record><record><ref-type>999</ref-type><titles><title>U</title>"
                    "</titles></record></records></xml>", encoding="utf-8")
    _, (known, unknown) = load_files(fresh_db, path)
    assert REFERENCE_TYPES[code] == name
    assert known["publication_types"] == [name]
    assert known["extra"]["ref-type"] == str(code)
    assert unknown["publication_types"] == [] and unknown["extra"]["ref-type"] == "999"


def test_endnote_pubmed_accession_number_and_pmcid(tmp_path, fresh_db):
    path = tmp_path / "e.xml"
    record = ('<record><ref-type name="Journal Article">17</ref-type><titles><title>{t}</title>'
              '</titles><accession-num><style face="normal">{an}</style></accession-num>'
              '<custom2>PMC7951234</custom2>{db}</record>')
    path.write_text(
        "<xml><records>"
        + record.format(t="A", an="33712345",
                        db="<remote-database-provider>NLM</remote-database-provider>")
        + record.format(t="B", an="633456789",
                        db="<remote-database-name>Embase</remote-database-name>")
        + "</records></xml>", encoding="utf-8")
    _, (pubmed, embase) = load_files(fresh_db, path)
    assert pubmed["pmid"] == "33712345" and pubmed["pmcid"] == "PMC7951234"
    assert "accession-num/style" not in pubmed["extra"] and "custom2" not in pubmed["extra"]
    assert embase["pmid"] is None
    assert embase["extra"]["accession-num/style"] == "633456789"
