"""The record page: /<database>/-/record/<id>."""

from __future__ import annotations

from datasette import NotFound, Response

from ..highlight import Highlighter, safe_url
from ..review_db import fetch_occurrences, fetch_record, vocabulary_groups
from .common import review_database


async def record_view(datasette, request):
    db = await review_database(datasette, request, table="records")
    record_id = int(request.url_vars["record_id"])
    record = await fetch_record(db, record_id)
    if record is None:
        raise NotFound(f"No record {record_id}")
    marks = Highlighter.for_database(datasette, db.name)
    groups = await vocabulary_groups(db)
    context = {
        "database": db.name,
        "record": record,
        "abstract": marks.paragraphs(record["abstract"]),
        "title_html": marks.markup(record["title"]),
        "claims": [marks.markup(claim) for claim in record["claims"]],
        "tags": [{"label": groups.get(key, key), "key": key, "terms": terms}
                 for key, terms in record["auto_tags"].items()],
        "links": {
            "doi": f"https://doi.org/{record['doi']}" if record["doi"] else None,
            "pubmed": (f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"
                       if record["pmid"] else None),
            "pmc": (f"https://www.ncbi.nlm.nih.gov/pmc/articles/{record['pmcid']}/"
                    if record["pmcid"] else None),
            "url": safe_url(record["url"]),
            "pdf": safe_url(record["pdf_url"]),
        },
        "occurrences": await fetch_occurrences(db, record_id),
        "row_url": datasette.urls.row(db.name, "records", str(record_id)),
        "table_url": datasette.urls.table(db.name, "records"),
        "overview_url": datasette.urls.database(db.name) + "/-/overview",
    }
    return Response.html(await datasette.render_template(
        "mscdm_record.html", context, request=request))
