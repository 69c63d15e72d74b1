"""Browsing a loaded review database in a real Datasette: facets, filters,
record and overview pages, highlighting, chart queries, read-only copies."""

import re
import sqlite3

import pytest
import pytest_asyncio

from conftest import build_review_db, datasette_for, record_id
from datasette_mscdm.review_db import CHART_QUERIES


@pytest_asyncio.fixture
async def ds(tmp_path):
    path = build_review_db(tmp_path / "review.db", tmp_path)
    datasette = datasette_for(path)
    await datasette.invoke_startup()
    return datasette


@pytest.mark.asyncio
async def test_configured_facets_through_the_json_api(ds):
    response = await ds.client.get("/review/records.json?_extra=facet_results,facets_timed_out")
    assert response.status_code == 200
    data = response.json()
    assert data["facets_timed_out"] == []
    facets = {name: {v["value"]: v["count"] for v in f["results"]}
              for name, f in data["facet_results"]["results"].items()}
    assert facets["year"] == {2025: 1, 2024: 1}
    assert facets["screening_status"] == {"unscreened": 3}
    assert facets["study_design"] == {"review": 1}
    # The hostile RIS record names no database: none (not its file name).
    assert facets["Source database"] == {"Semantic Scholar": 1, "AI research assistant": 1}
    # "Journal Article" (one seed) and "Journal" (the other) are one type.
    assert facets["Publication type"] == {"Journal article": 2}
    assert facets["Auto tag: Vesicle type"] == {"Exosome": 2, "Extracellular vesicle": 1}
    assert facets["Auto tag: MSC tissue source"] == {"Adipose": 1}
    assert facets["Auto tag: Diabetes type and complication"]["Diabetes (any mention)"] == 3
    assert facets["Auto tag: Model"] == {"db/db or ob/ob mice": 1, "Animal (any)": 1}


@pytest.mark.asyncio
async def test_term_filter_and_its_toggle(ds):
    response = await ds.client.get(
        "/review/records.json?_term=vesicle:Exosome&_extra=count,human_description_en,facet_results")
    data = response.json()
    assert data["count"] == 2
    assert 'Auto tag: Vesicle type is "Exosome"' in data["human_description_en"]
    exosome = next(v for v in data["facet_results"]["results"]["Auto tag: Vesicle type"]["results"]
                   if v["value"] == "Exosome")
    assert exosome["selected"] and "_term" not in exosome["toggle_url"]
    both = await ds.client.get(
        "/review/records.json?_term=vesicle:Exosome&_term=msc_source:Adipose&_extra=count")
    assert both.json()["count"] == 1
    # Combined with full-text search.
    search = await ds.client.get("/review/records.json?_search=insulin&_term=vesicle:Exosome"
                                 "&_extra=count")
    assert search.json()["count"] == 1


@pytest.mark.asyncio
async def test_record_page_shows_a_readable_record(ds, tmp_path):
    rid = record_id(tmp_path / "review.db", "The Potential%")
    response = await ds.client.get(f"/review/-/record/{rid}")
    assert response.status_code == 200
    html = response.text
    assert "Ju-El Kim; Jong-Won Lee; Gi Doo Cha; Jeong-Kee Yoon" in html
    assert 'href="https://doi.org/10.3390/biomimetics10010049"' in html
    assert "<em>Biomimetics</em> 2025; 10(1)" in html
    assert "Screening status: <span class=\"mscdm-status\">unscreened</span>" in html
    assert '<mark class="mscdm-include">exosomes</mark>' in html
    assert "automatic vocabulary matches, not decisions" in html
    assert "000_df040756cddb4234.txt" in html and "seed-aggregator" in html
    assert "引用次数: 0" in html  # the raw record as read


@pytest.mark.asyncio
async def test_ai_summary_record_page(ds, tmp_path):
    conn = sqlite3.connect(tmp_path / "review.db")
    rid = conn.execute("select id from records where title is null").fetchone()[0]
    conn.close()
    html = (await ds.client.get(f"/review/-/record/{rid}")).text
    assert "[no title]" in html
    assert "Missing: title, year, journal, doi" in html
    assert "<dt>Population</dt><dd>Type 2 diabetes and its complications</dd>" in html
    assert "MSC-EVs offer a promising cell-free therapeutic approach" in html


@pytest.mark.asyncio
async def test_structured_abstract_labels(ds, tmp_path):
    rid = record_id(tmp_path / "review.db", "Adipose-derived%")
    html = (await ds.client.get(f"/review/-/record/{rid}")).text
    assert '<span class="mscdm-label">BACKGROUND:</span>' in html
    assert '<span class="mscdm-label">METHODS:</span>' in html


@pytest.mark.asyncio
async def test_hostile_fields_stay_inert_everywhere(ds, tmp_path):
    rid = record_id(tmp_path / "review.db", "Adipose-derived%")
    conn = sqlite3.connect(tmp_path / "review.db")
    title, abstract = conn.execute("select title, abstract from records where id = ?",
                                   [rid]).fetchone()
    conn.close()
    assert "<script>alert('title')</script>" in title  # the stored text really is hostile
    assert "<img src=x onerror=alert('img')>" in abstract
    pages = [f"/review/-/record/{rid}", "/review/records", "/review/-/overview",
             f"/review/records/{rid}", "/review/records?_search=exosomes"]
    for page in pages:
        html = (await ds.client.get(page)).text
        assert "<script>alert" not in html, page
        assert "<img src=x" not in html, page
        assert "<b>Bold</b>" not in html, page
    record_html = (await ds.client.get(f"/review/-/record/{rid}")).text
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in record_html
    assert 'href="javascript:' not in record_html  # unsafe URL not linked
    # Highlighting inside the escaped text still works.
    assert '<mark class="mscdm-include">exosomes</mark>' in record_html


@pytest.mark.asyncio
async def test_table_links_titles_and_highlights_abstracts(ds, tmp_path):
    # All columns (the default work list has no abstracts).
    html = (await ds.client.get("/review/records?_mscdm_columns=all")).text
    assert re.search(r'<a class="mscdm-record-link" href="/review/-/record/\d+">', html)
    assert '<mark class="mscdm-include">' in html
    assert "have attracted attention as a novel" not in html  # abstracts cut in the table
    rid = record_id(tmp_path / "review.db", "The Potential%")
    row_html = (await ds.client.get(f"/review/records/{rid}")).text
    assert "which have shown therapeutic effects in both type 1 and type 2 DM." in re.sub(
        r"</?mark[^>]*>", "", row_html)
    assert '<mark class="mscdm-include">exosomes</mark>' in row_html


@pytest.mark.asyncio
async def test_overview_page_and_links(ds):
    response = await ds.client.get("/review/-/overview")
    assert response.status_code == 200
    html = response.text
    assert "<strong>3</strong> records" in html
    assert "/review/records?_term=vesicle%3AExosome" in html
    assert "/review/mscdm_records_per_year#g.mark=bar&amp;g.x_column=year" in html
    menu = (await ds.client.get("/")).text
    assert 'href="/review/-/overview"' in menu
    database_page = (await ds.client.get("/review")).text
    assert 'href="/review/-/overview"' in database_page


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(CHART_QUERIES))
async def test_chart_queries_return_rows(ds, name):
    response = await ds.client.get(f"/review/{name}.json?_shape=array")
    assert response.status_code == 200, response.text
    rows = response.json()
    assert rows, name
    chart = CHART_QUERIES[name]["chart"]
    assert chart["x_column"] in rows[0] and chart["y_column"] in rows[0]


@pytest.mark.asyncio
async def test_pages_404_for_unknown_records_and_non_review_databases(ds, tmp_path):
    assert (await ds.client.get("/review/-/record/99999")).status_code == 404
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (id integer)").connection.close()
    from datasette.app import Datasette

    plain = Datasette([str(other)])
    await plain.invoke_startup()
    assert (await plain.client.get("/other/-/overview")).status_code == 404


@pytest.mark.asyncio
async def test_immutable_copy_browses(tmp_path):
    path = build_review_db(tmp_path / "review.db", tmp_path)
    ds = datasette_for(path, immutables=[str(path)])
    await ds.invoke_startup()
    assert (await ds.client.get("/review/-/overview")).status_code == 200
    data = (await ds.client.get("/review/records.json?_extra=facet_results")).json()
    assert "Auto tag: Vesicle type" in data["facet_results"]["results"]
    assert (await ds.client.get("/review/mscdm_records_per_tag.json")).status_code == 200
    # A filtered page counts facets through a temporary table: allowed read-only too.
    filtered = (await ds.client.get("/review/records.json?_search=exosomes"
                                    "&_extra=facet_results,facets_timed_out")).json()
    assert filtered["facets_timed_out"] == []
    years = filtered["facet_results"]["results"]["year"]["results"]
    assert {v["value"]: v["count"] for v in years} == {2025: 1, 2024: 1}


@pytest.mark.asyncio
async def test_column_facet_selection_uses_datasettes_own_filter(ds):
    data = (await ds.client.get("/review/records.json?year=2024&_extra=facet_results,count")).json()
    assert data["count"] == 1
    [year] = data["facet_results"]["results"]["year"]["results"]
    assert year["selected"] and "year=" not in year["toggle_url"]
    vesicles = data["facet_results"]["results"]["Auto tag: Vesicle type"]["results"]
    assert {v["value"]: v["count"] for v in vesicles} == {"Exosome": 1}
