"""PubMed XML keeps the attributes of the elements that feed columns, MeSH is
stored structured, and MeSH major topics are a facet (issue 12, class 5).
The structure is checked against lxml reading the same real files."""

import json
import sqlite3

import pytest
import pytest_asyncio
from click.testing import CliRunner
from lxml import etree

from conftest import CORPUS, datasette_for
from datasette_mscdm.cli import cli
from datasette_mscdm.formats.medline import mesh_heading
from datasette_mscdm.terms import mesh_major_topics

PUBMED_XML = sorted((CORPUS / "exports/pubmed_xml").rglob("*.xml"))
MEDLINE = CORPUS / "exports/medline_nbib/nbib/pubmed-balloongui-set.nbib"


def load(db, *paths):
    result = CliRunner().invoke(cli, ["load", str(db), *map(str, paths)])
    assert result.exit_code == 0, result.output


def records_by_pmid(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {r["pmid"]: dict(r) for r in conn.execute("select * from records")}
    finally:
        conn.close()


def lxml_articles(path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    return root.findall("PubmedArticle")


def yes(elem):
    return elem.get("MajorTopicYN") == "Y"


@pytest.mark.parametrize("path", PUBMED_XML, ids=[p.name for p in PUBMED_XML])
def test_mesh_structure_matches_lxml(path, fresh_db):
    load(fresh_db, path)
    records = records_by_pmid(fresh_db)
    for article in lxml_articles(path):
        record = records[article.findtext("MedlineCitation/PMID")]
        expected = []
        for heading in article.findall("MedlineCitation/MeshHeadingList/MeshHeading"):
            descriptor = heading.find("DescriptorName")
            item = {"descriptor": "".join(descriptor.itertext()).strip(),
                    "ui": descriptor.get("UI"), "major": yes(descriptor),
                    "qualifiers": [{"name": q.text.strip(), "ui": q.get("UI"), "major": yes(q)}
                                   for q in heading.findall("QualifierName")]}
            if descriptor.get("Type"):
                item["type"] = descriptor.get("Type")
            expected.append(item)
        assert json.loads(record["mesh"]) == expected
        # MeSH attributes live in the mesh column, not scattered in extra.
        assert not [k for k in json.loads(record["extra"]) if "MeshHeading" in k]


@pytest.mark.parametrize("path", PUBMED_XML, ids=[p.name for p in PUBMED_XML])
def test_attributes_of_column_elements_are_kept_in_extra(path, fresh_db):
    load(fresh_db, path)
    records = records_by_pmid(fresh_db)
    for article in lxml_articles(path):
        record = records[article.findtext("MedlineCitation/PMID")]
        extra = json.loads(record["extra"])
        types = article.findall("MedlineCitation/Article/PublicationTypeList/PublicationType")
        uis = extra["MedlineCitation/Article/PublicationTypeList/PublicationType/@UI"]
        uis = uis if isinstance(uis, list) else [uis]
        # One UI per publication type, in the same order as the column.
        assert uis == [t.get("UI") for t in types]
        assert json.loads(record["publication_types"]) == [t.text for t in types]
        sections = article.findall("MedlineCitation/Article/Abstract/AbstractText")
        categories = [s.get("NlmCategory") for s in sections]
        key = "MedlineCitation/Article/Abstract/AbstractText/@NlmCategory"
        if any(categories):
            assert extra[key] == (categories if len(categories) > 1 else categories[0])
        else:
            assert key not in extra
        # Labels are in the abstract text, so not repeated in extra.
        assert "MedlineCitation/Article/Abstract/AbstractText/@Label" not in extra


def test_medline_mesh_headings_with_stars():
    assert mesh_heading("*Stroke/diagnostic imaging/*surgery") == {
        "descriptor": "Stroke", "ui": None, "major": True,
        "qualifiers": [{"name": "diagnostic imaging", "ui": None, "major": False},
                       {"name": "surgery", "ui": None, "major": True}]}
    assert mesh_heading("Aged, 80 and over") == {
        "descriptor": "Aged, 80 and over", "ui": None, "major": False, "qualifiers": []}


def test_major_topics_are_descriptors_or_their_qualifiers_starred():
    mesh = json.dumps([
        {"descriptor": "Stroke", "major": True, "qualifiers": []},
        {"descriptor": "Stents", "major": False, "qualifiers": [{"name": "x", "major": True}]},
        {"descriptor": "Humans", "major": False, "qualifiers": []}])
    assert mesh_major_topics(mesh) == ["Stroke", "Stents"]


@pytest_asyncio.fixture
async def mesh_review(tmp_path):
    path = tmp_path / "review.db"
    load(path, *PUBMED_XML, MEDLINE)
    datasette = datasette_for(path)
    await datasette.invoke_startup()
    return datasette, path


@pytest.mark.asyncio
async def test_mesh_major_topic_facet_and_filter(mesh_review):
    ds, path = mesh_review
    conn = sqlite3.connect(path)
    expected: dict[str, int] = {}
    for (mesh,) in conn.execute("select mesh from records"):
        for topic in mesh_major_topics(mesh):
            expected[topic] = expected.get(topic, 0) + 1
    conn.close()
    assert expected, "the corpus files have major topics"
    response = await ds.client.get(
        "/review/records.json?_extra=facet_results&_facet_size=max")
    facet = response.json()["facet_results"]["results"]["MeSH major topic"]
    counts = {v["value"]: v["count"] for v in facet["results"]}
    top = sorted(expected.items(), key=lambda item: (-item[1], item[0]))
    assert list(counts.items()) == top[:len(counts)]
    topic, count = top[0]
    filtered = await ds.client.get(
        f"/review/records.json?_term=mesh_major:{topic}&_extra=count,human_description_en")
    assert filtered.json()["count"] == count
    assert f'MeSH major topic is "{topic}"' in filtered.json()["human_description_en"]


def test_databases_loaded_before_get_mesh_from_raw_text(fresh_db):
    """Migration m009 on a database whose PubMed records have no mesh column
    yet: the headings come back from the occurrences' raw text."""
    from datasette_mscdm.loader import open_database

    load(fresh_db, *PUBMED_XML, MEDLINE)
    conn = sqlite3.connect(fresh_db)
    loaded = dict(conn.execute("select id, mesh from records"))
    terms = conn.execute("select * from record_terms where facet = 'mesh_major'"
                         " order by 1, 2, 3").fetchall()
    assert terms
    # The database as the previous schema left it.
    conn.execute("delete from record_terms where facet = 'mesh_major'")
    conn.execute("alter table records drop column mesh")
    conn.execute("delete from _sqlite_migrations where name = 'm009_mesh'")
    conn.commit()
    conn.close()
    open_database(fresh_db).conn.close()
    conn = sqlite3.connect(fresh_db)
    assert dict(conn.execute("select id, mesh from records")) == loaded
    assert conn.execute("select * from record_terms where facet = 'mesh_major'"
                        " order by 1, 2, 3").fetchall() == terms
    conn.close()


def test_attributes_of_elements_beside_unused_ones_are_all_kept():
    import io

    from datasette_mscdm.formats import pubmed_xml

    xml = ("<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
           "<ArticleTitle>T</ArticleTitle>"
           '<ELocationID EIdType="pii" ValidYN="Y">S01</ELocationID>'
           '<ELocationID EIdType="doi" ValidYN="N">10.1000/x</ELocationID>'
           "</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    record = next(pubmed_xml.parse(io.StringIO(xml))).record
    assert record.doi == "10.1000/x"
    assert record.extra == {"MedlineCitation/Article/ELocationID": "S01",
                            "MedlineCitation/Article/ELocationID/@EIdType": "pii",
                            "MedlineCitation/Article/ELocationID/@ValidYN": ["Y", "N"]}
