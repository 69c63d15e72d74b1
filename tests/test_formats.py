"""Formats the shared corpus has no file of: Ovid native, Refer, the old
MedlineCitationSet, PubMed and Zotero CSV, CSL-JSON editors, multi-record
seed B. Each written as its producer writes it."""

import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import CORPUS
from datasette_mscdm import formats
from datasette_mscdm.cli import cli
from datasette_mscdm.textio import LoadError

OVID_LABELLED = """<1>
Accession Number
  33012345
Author
  Smith, Jane
  Doe, John
Title
  Umbilical cord MSC exosomes in db/db mice.
Source
  Stem Cell Research & Therapy. 12(1):45, 2021 Jan.
Abstract
  BACKGROUND: Exosomes were tested.
Digital Object Identifier
  https://dx.doi.org/10.1186/s13287-021-00001-1
Publication Type
  Journal Article.

<2>
Accession Number
  33012346
Author
  Lee, Ann
Title
  A second record.
Source
  Diabetes. 70(3):100-110, 2020.
"""

OVID_TAGGED = """<1>
VN  - Ovid Technologies
DB  - Embase
AN  - 2005123456
AU  - Park J.
TI  - Adipose-derived exosomes and insulin resistance
SO  - Diabetes. 54(2) (pp 200-210), 2005.
YR  - 2005
AB  - We studied things.
"""

REFER = """%0 Journal Article
%A Kim, Ju-El
%A Lee, Jong-Won
%T The Potential of Mesenchymal Stem Cell-Derived Exosomes
%J Biomimetics
%V 10
%N 1
%D 2025
%R 10.3390/biomimetics10010049
%K exosomes
diabetes
%X First paragraph.
Second paragraph.
%Z A note

%0 Book
%A Roe, R.
%T Second
%D 2001
"""

MEDLINE_CITATION_SET = """<?xml version="1.0"?>
<!DOCTYPE MedlineCitationSet PUBLIC "-//NLM//DTD Medline Citation, 1st January 2012//EN" "x.dtd">
<MedlineCitationSet>
<MedlineCitation Owner="NLM" Status="MEDLINE">
<PMID Version="1">10024335</PMID>
<Article PubModel="Print">
<Journal><Title>Hypertension</Title><JournalIssue><Volume>33</Volume><Issue>2</Issue>
<PubDate><Year>1999</Year><Month>Feb</Month></PubDate></JournalIssue></Journal>
<ArticleTitle>Distinct vascular effects of ACE blockade.</ArticleTitle>
<Pagination><MedlinePgn>719-25</MedlinePgn></Pagination>
<Abstract><AbstractText Label="OBJECTIVE">To test.</AbstractText>
<AbstractText Label="RESULTS">It <i>worked</i>.</AbstractText></Abstract>
<AuthorList><Author><LastName>Nazzaro</LastName><ForeName>P</ForeName></Author></AuthorList>
<Language>eng</Language>
</Article>
<MeshHeadingList><MeshHeading><DescriptorName UI="D1">Hypertension</DescriptorName>
</MeshHeading></MeshHeadingList>
</MedlineCitation>
</MedlineCitationSet>
"""

PUBMED_CSV = ('PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,'
              'Create Date,PMCID,NIHMS ID,DOI\n'
              '30776994,"Impact of Balloon Guide Catheter Use.","Velasco A, Buerke B, Stracke CP",'
              '"Stroke. 2019 Mar;50(3):697-704. doi: 10.1161/STROKEAHA.118.021126.",Velasco A,'
              'Stroke,2019,2019/02/20,PMC123456,,10.1161/STROKEAHA.118.021126\n')

ZOTERO_CSV = ('"Key","Item Type","Publication Year","Author","Title","Publication Title","ISBN",'
              '"ISSN","DOI","Url","Abstract Note","Date","Date Added","Pages","Issue","Volume",'
              '"Language","Manual Tags","Automatic Tags"\n'
              '"ABCD1234","journalArticle","2020","Müller, Jörg; Rossi, Luca",'
              '"Placenta MSC vesicles","Theranostics","","1838-7640","10.7150/thno.1",'
              '"https://x.org","An abstract.","2020-05","2024-01-01","1-10","2","10","en",'
              '"exosome; diabetes","Animals"\n')

SUMMARIES = """Claim one about EVs.
Abstract First abstract.
Smith et al. (2021) conducted a randomized controlled trial in adults with type 2 diabetes. Umbilical cord MSC exosomes were evaluated. HbA1c fell.

Claim two.
Claim three.
Abstract Second abstract.
Lee et al. (2019) conducted a cohort study in children with type 1 diabetes. Insulin pumps was evaluated. Fewer events.
"""


def load_text(tmp_path, db, name, text, rows, *extra):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["load", str(db), str(path), "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)[0], rows(db, "select * from records order by id")


def test_ovid_labelled_export(tmp_path, fresh_db, rows):
    source, records = load_text(tmp_path, fresh_db, "ovid.txt", OVID_LABELLED, rows)
    assert source["format"] == "ovid" and source["records"] == 2
    first = records[0]
    assert first["title"] == "Umbilical cord MSC exosomes in db/db mice."
    assert json.loads(first["authors"]) == ["Smith, Jane", "Doe, John"]
    assert (first["journal"], first["volume"], first["issue"], first["year"]) == (
        "Stem Cell Research & Therapy", "12", "1", 2021)
    assert first["doi"] == "10.1186/s13287-021-00001-1"
    assert json.loads(first["extra"])["Accession Number"] == "33012345"
    assert records[1]["pages"] == "100-110"


def test_ovid_short_tags(tmp_path, fresh_db, rows):
    source, [record] = load_text(tmp_path, fresh_db, "ovid2.txt", OVID_TAGGED, rows)
    assert source["format"] == "ovid" and source["database"] == "Embase"
    assert record["title"] == "Adipose-derived exosomes and insulin resistance"
    assert record["year"] == 2005 and record["journal"] == "Diabetes"


def test_refer_tagged_text(tmp_path, fresh_db, rows):
    source, records = load_text(tmp_path, fresh_db, "refs.enw", REFER, rows)
    assert source["format"] == "refer" and source["records"] == 2
    first = records[0]
    assert first["doi"] == "10.3390/biomimetics10010049"
    assert json.loads(first["keywords"]) == ["exosomes", "diabetes"]
    assert first["abstract"] == "First paragraph.\n\nSecond paragraph."
    assert json.loads(first["extra"]) == {"Z (notes)": "A note"}
    assert json.loads(records[1]["publication_types"]) == ["Book"]


def test_old_medline_citation_set(tmp_path, fresh_db, rows):
    source, [record] = load_text(tmp_path, fresh_db, "old.xml", MEDLINE_CITATION_SET, rows)
    assert source["format"] == "pubmed-xml"
    assert record["pmid"] == "10024335" and record["year"] == 1999
    assert record["abstract"] == "OBJECTIVE: To test.\n\nRESULTS: It worked."
    assert json.loads(record["authors"]) == ["Nazzaro, P"]
    extra = json.loads(record["extra"])
    assert extra["@Owner"] == "NLM"
    assert extra["Article/@PubModel"] == "Print"


def test_pubmed_csv(tmp_path, fresh_db, rows):
    source, [record] = load_text(tmp_path, fresh_db, "pubmed.csv", PUBMED_CSV, rows)
    assert source["database"] == "PubMed"
    assert record["doi"] == "10.1161/strokeaha.118.021126"
    assert (record["volume"], record["issue"], record["pages"]) == ("50", "3", "697-704")
    assert json.loads(record["authors"]) == ["Velasco A", "Buerke B", "Stracke CP"]
    assert record["pmcid"] == "PMC123456"


def test_zotero_csv(tmp_path, fresh_db, rows):
    _, [record] = load_text(tmp_path, fresh_db, "zotero.csv", ZOTERO_CSV, rows)
    assert json.loads(record["authors"]) == ["Müller, Jörg", "Rossi, Luca"]
    assert record["journal"] == "Theranostics" and record["year"] == 2020
    assert json.loads(record["keywords"]) == ["exosome", "diabetes", "Animals"]
    assert json.loads(record["extra"])["Key"] == "ABCD1234"


def test_several_ai_summaries_in_one_file(tmp_path, fresh_db, rows):
    source, records = load_text(tmp_path, fresh_db, "summaries.txt", SUMMARIES, rows)
    assert source["format"] == "seed-summary" and source["records"] == 2
    assert records[0]["study_design"] == "randomized controlled trial"
    assert records[0]["population"] == "adults with type 2 diabetes"
    assert records[0]["intervention"] == "Umbilical cord MSC exosomes"
    assert records[0]["year"] == 2021
    assert json.loads(records[1]["claims"]) == ["Claim two.", "Claim three."]
    assert records[1]["first_author"] == "Lee"


@pytest.mark.parametrize("head,name", [
    ("TY  - JOUR\nTI  - x\n", "ris"),
    ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Li, W\n", "wos"),
    ("PMID- 1\nTI  - x\n", "medline"),
    ("@article{k, title={x}}", "bibtex"),
    ('[{"id": "a", "type": "article-journal", "title": "x"}]', "csl-json"),
    ("title\tabstract\nx\ty\n", "csv"),
    ("PT\tAU\tTI\tUT\nJ\ta\tb\tc\n", "csv"),
    ('{"id": "a", "type": "article", "title": "x", "DOI": "10.1/x"}\n{"id": "b"}\n', "jsonl"),
    ('{"title": "x", "abstract": "y", "label_included": 1}\n{"title": "z"}\n', "jsonl"),
    ('[{"id": "a", "type": "article", "title": "x"},\n {"id": "b", "type": "book"}]', "csl-json"),
    ('{"id": "a", "type": "article-journal", "title": "x"}', "csl-json"),
    ("<3001. >\nVN  - Ovid Technologies\nDB  - Embase\nTI  - x\n", "ovid"),
])
def test_detection_is_by_content(head, name):
    assert formats.detect(head).NAME == name


def test_detection_refuses_prose():
    with pytest.raises(LoadError, match="unrecognised format"):
        formats.detect("Minutes of the meeting.\nAttendees: all.\n")


# ---------------------------------------------------------------- issue 12

def occurrences(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            "select o.raw, o.line, r.* from occurrences o join records r on r.id = o.record_id"
            " order by o.source_id, o.position")]
    finally:
        conn.close()


# Ovid's "Ovid Technologies" tagged layout: `<n. >` record markers, a search
# history before the first record, values wrapped onto indented lines.
OVID_PERIOD = """Database: Embase <1974 to 2024 March 01>
Search Strategy:
--------------------------------------------------------------------------------
1     exp mesenchymal stem cell/ (95123)
2     exosome/ (40211)

<3001. >
VN  - Ovid Technologies
DB  - Embase
AN  - 2030345678
TI  - Exosomes from human umbilical cord mesenchymal stem cells accelerate
      diabetic wound healing in rats
AU  - Li X.
AU  - Wang Y.
SO  - Stem Cell Research and Therapy. 14(1) (no pagination), 2023. Article
      Number: 45.
YR  - 2023
VI  - 14
IP  - 1
KW  - exosome; diabetic wound; wound healing
AB  - BACKGROUND: Diabetic wounds heal slowly. METHODS: Rats received
      exosomes. RESULTS: Wounds closed faster (p < 0.05).
DO  - https://dx.doi.org/10.1186/s13287-023-03245-x
LG  - English
XL  - http://ovidsp.ovid.com/ovidweb.cgi?T=JS&PAGE=reference&D=emed24&AN=2030345678

<3002. >
VN  - Ovid Technologies
DB  - Ovid MEDLINE(R) ALL
UI  - 36912345
TI  - Second record
JT  - Diabetes
YR  - 2022
"""


def test_ovid_record_markers_with_a_period(tmp_path, fresh_db, rows):
    path = tmp_path / "ovid-embase.txt"
    path.write_bytes(OVID_PERIOD.replace("\n", "\r\n").encode("utf-8"))
    for options in ([], ["--format", "ovid"]):
        db = tmp_path / f"ovid{len(options)}.db"
        result = CliRunner().invoke(cli, ["load", str(db), str(path), "--json", *options])
        assert result.exit_code == 0, result.output
        [source] = json.loads(result.output)
        assert source["format"] == "ovid" and source["records"] == 2
    first, second = occurrences(db)
    assert first["title"] == ("Exosomes from human umbilical cord mesenchymal stem cells "
                              "accelerate diabetic wound healing in rats")
    assert first["abstract"].endswith("Wounds closed faster (p < 0.05).")
    assert (first["journal"], first["volume"], first["issue"], first["year"]) == (
        "Stem Cell Research and Therapy", "14", "1", 2023)
    assert first["doi"] == "10.1186/s13287-023-03245-x"
    assert json.loads(first["keywords"]) == ["exosome", "diabetic wound", "wound healing"]
    assert json.loads(first["databases"]) == ["Embase"]
    extra = json.loads(first["extra"])
    assert extra["VN"] == "Ovid Technologies" and extra["AN"] == "2030345678"
    assert first["raw"].startswith("<3001. >\r\nVN  - Ovid Technologies") and first["line"] == 7
    assert (second["pmid"], second["journal"]) == ("36912345", "Diabetes")


def test_endnote_xml_keeps_the_numeric_reference_type(fresh_db):
    path = CORPUS / "exports/endnote_xml/asysd/zotero_export.xml"
    CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    for row in occurrences(fresh_db)[:200]:
        code, name = re.search(r'<ref-type name="([^"]+)">(\d+)</ref-type>', row["raw"]).group(2, 1)
        assert json.loads(row["extra"])["ref-type"] == code
        assert name in json.loads(row["publication_types"])


def test_wos_tab_delimited_cells_are_never_unquoted(fresh_db):
    path = CORPUS / "exports/wos_tabdelimited/synthesisr/WoS_zoological.txt"
    CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    header = path.read_bytes().decode("utf-8-sig").split("\r", 1)[0].split("\t")
    quoted = 0
    for row in occurrences(fresh_db):
        cells = dict(zip(header, row["raw"].split("\t")))
        quoted += cells["AB"].startswith('"')
        assert row["abstract"] == (" ".join(cells["AB"].split()) or None)
        assert row["title"] == " ".join(cells["TI"].split())
        # The page span is the pages column when there are no BP/EP columns.
        assert row["pages"] == (cells["PS"] or None)
    assert quoted, "the file has a cell that starts with a quotation mark"


EBSCO = """TY  - JOUR
AU  - Garcia, Ana
T1  - Mesenchymal stem cell exosomes in diabetic foot ulcers
T2  - Exosomas de celulas madre mesenquimales en ulceras de pie diabetico
JO  - Revista de Medicina
Y1  - 2021
UR  - https://search.ebscohost.com/login.aspx?direct=true&db=a9h&AN=151234567
DP  - EBSCOhost
DB  - a9h
ER  - 

TY  - JOUR
T1  - A Scopus-style record
T2  - Stem Cell Reports
J2  - Stem Cell Rep.
ER  - 

TY  - JOUR
T1  - An EndNote-style record
JF  - Journal of Extracellular Vesicles
T2  - J Extracell Vesicles
ER  - 
"""


def test_ris_journal_tag_precedence(tmp_path, fresh_db):
    path = tmp_path / "ebsco.ris"
    path.write_text(EBSCO, encoding="utf-8")
    CliRunner().invoke(cli, ["load", str(fresh_db), str(path)])
    ebsco, scopus, endnote = occurrences(fresh_db)
    assert ebsco["journal"] == "Revista de Medicina"
    assert json.loads(ebsco["extra"])["T2 (secondary_title)"].startswith("Exosomas de celulas")
    assert scopus["journal"] == "Stem Cell Reports"
    assert endnote["journal"] == "Journal of Extracellular Vesicles"
