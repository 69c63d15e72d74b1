"""The duplicate review queue and unmerging.

GET  /<db>/-/duplicates            the pairs waiting for a person, side by side,
                                   differences marked (leads; read-only copies:
                                   anyone, without controls)
POST /<db>/-/duplicates            a lead's answer (a, b, answer), or "accept all
                                   above a score" (min_score; then confirm = the
                                   number of pairs the lead was shown)
GET  /<db>/-/duplicates.json       the same queue for scripts (?page=)
POST /<db>/-/duplicates.json       {"a", "b", "answer": "duplicate" | "not_duplicates",
                                   "request_id"} or {"min_score", "expected"}
POST /<db>/-/record/<id>/unmerge   a lead undoes a merge (merge_id)

Every write runs through write_as(lead=True): the lead is checked in the
write's own transaction. Keys (static/mscdm-duplicates.js): d duplicate,
n not duplicates, s skip, j / k next / previous.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid

from datasette import Forbidden, NotFound, Response
from markupsafe import Markup, escape

from ..duplicates import review
from ..duplicates.merge import merge_in_force_for, unmerge
from ..duplicates.values import other_values
from ..review_db import read
from ..screening import store
from ..screening.access import LEAD, reviewer_session
from . import inputs
from .common import (can, error_page, json_view, login_url, read_form, read_json,
                     require_reviewer, safe_next, screening_database, write_as, writer_session)

PAGE_SIZE = 10
SHOWN = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
         "publication_types", "databases", "abstract", "ta_status", "ft_status")
LABELS = {"doi": "DOI", "pmid": "PMID", "publication_types": "Publication types",
          "ta_status": "Title/abstract", "ft_status": "Full text"}
JSON_LISTS = ("authors", "publication_types", "databases")
ANSWER_FIELDS = ("a", "b", "answer", "request_id")
ACCEPT_FIELDS = ("min_score", "expected")
_WORDS = re.compile(r"\S+")


# Access --------------------------------------------------------------------

NOT_MIGRATED = ("{name} has no duplicate tables yet: it was loaded by an older version (serve it"
                " writable once, or run `mscdm load` or `mscdm dedup` on it with this version)")


async def duplicates_database(datasette, request):
    """A screening database with the duplicate tables (schema m010)."""
    db = await screening_database(datasette, request)
    if not await db.table_exists("mscdm_dedup_pairs"):
        raise NotFound(NOT_MIGRATED.format(name=db.name))
    return db


async def _viewer_may_answer(datasette, request, db) -> bool:
    """Leads answer on a writable review. Anyone who may view a read-only
    copy sees the queue without controls; on a writable review the queue is
    the leads' (others get a 403 that says so)."""
    if not db.is_mutable:
        return False
    await require_reviewer(datasette, request, db, lead=True)
    return True


# Reading -------------------------------------------------------------------

def _records(conn, ids) -> dict[int, dict]:
    columns = ", ".join(("id", "occurrence_count") + SHOWN)
    records = {}
    for row in store._rows(conn, f"SELECT {columns} FROM records WHERE id IN"
                                 " (SELECT value FROM json_each(?))", [json.dumps(list(ids))]):
        for column in JSON_LISTS:
            row[column] = json.loads(row[column] or "[]")
        records[row["id"]] = row
    return records


def queue_page(conn, page: int, size: int = PAGE_SIZE) -> dict:
    """One page of the queue with the records and the engine's decision on
    each pair as the records are now (they may have changed since)."""
    pairs = review.pending_pairs(conn)
    total = len(pairs)
    pages = max((total + size - 1) // size, 1)
    page = min(page, pages)
    shown = pairs[(page - 1) * size: page * size]
    records = _records(conn, {i for p in shown for i in (p["a"], p["b"])})
    for pair in shown:
        now = review.score_now(conn, pair["a"], pair["b"])
        pair["now"] = now.as_dict()
        pair["records"] = [records[pair["a"]], records[pair["b"]]]
    return {"total": total, "page": page, "pages": pages, "size": size, "pairs": shown}


def _differences(a, b) -> tuple[Markup, Markup]:
    """Both values as HTML, escaped, with the words one has and the other
    has not marked (compared without case)."""
    text_a, text_b = _text(a), _text(b)
    words_a, words_b = _WORDS.findall(text_a), _WORDS.findall(text_b)
    matcher = difflib.SequenceMatcher(None, [w.casefold() for w in words_a],
                                      [w.casefold() for w in words_b], autojunk=False)
    marked_a, marked_b = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for words, lo, hi, out in ((words_a, i1, i2, marked_a), (words_b, j1, j2, marked_b)):
            for word in words[lo:hi]:
                out.append(escape(word) if tag == "equal"
                           else Markup('<mark class="mscdm-diff">%s</mark>') % word)
    return Markup(" ").join(marked_a), Markup(" ").join(marked_b)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _rows_for(pair: dict) -> list[dict]:
    a, b = pair["records"]
    rows = []
    for field in SHOWN:
        left, right = _text(a.get(field)), _text(b.get(field))
        if not left and not right:
            continue
        differ = left.casefold() != right.casefold()
        html_a, html_b = _differences(left, right) if differ and left and right else (
            escape(left), escape(right))
        rows.append({"field": field, "label": LABELS.get(field, field.replace("_", " ")
                                                         .capitalize()),
                     "differ": differ, "a": html_a, "b": html_b,
                     "state": pair["now"]["fields"].get(field)})
    return rows


# Pages ---------------------------------------------------------------------

async def duplicates_view(datasette, request):
    db = await duplicates_database(datasette, request)
    if request.method == "POST":
        return await _post_form(datasette, request, db)
    if db.is_mutable and reviewer_session(db.name, request.actor) is None:
        return Response.redirect(login_url(datasette, db, request))  # log in, then back
    controls = await _viewer_may_answer(datasette, request, db)
    return await _page(datasette, request, db, controls)


async def _page(datasette, request, db, controls: bool, error: str | None = None,
                status: int = 200, confirm: dict | None = None, done: dict | None = None):
    try:
        page = inputs.page_number(request.args.get("page"))
    except store.ScreeningError as exc:
        return await error_page(datasette, request, str(exc), exc.status)
    data = await read(db, lambda conn: queue_page(conn, page))
    base = datasette.urls.database(db.name)
    for pair in data["pairs"]:
        pair["rows"] = _rows_for(pair)
    return Response.html(await datasette.render_template("mscdm_duplicates.html", {
        "database": db.name, **data, "controls": controls, "error": error, "confirm": confirm,
        "done": done, "request_id": uuid.uuid4().hex, "record_base": f"{base}/-/record/",
        "page_url": f"{base}/-/duplicates?page=",
        "js": datasette.urls.static_plugins("datasette_mscdm", "mscdm-duplicates.js"),
        "keyed_list_js": datasette.urls.static_plugins("datasette_mscdm", "mscdm-keyed-list.js"),
        "css": datasette.urls.static_plugins("datasette_mscdm", "mscdm-duplicates.css"),
    }, request=request), status=status)


async def _post_form(datasette, request, db):
    try:
        await writer_session(datasette, request, db, lead=True)
        form = await read_form(request)
        next_url = safe_next(datasette, db, inputs.text(form.get("next"), "next"),
                             request.path)
        if form.get("min_score") not in (None, ""):
            min_score = score_value(form.get("min_score"))
            if form.get("confirm") in (None, ""):
                count = len(await read(db, lambda c: review.pending_pairs(c, min_score=min_score)))
                return await _page(datasette, request, db, True,
                                   confirm={"min_score": min_score, "count": count})
            expected = count_value(form.get("confirm"), "confirm")
            result = await write_as(datasette, request, db, lambda conn, lead, protocol:
                                    review.accept_above(conn, min_score, by=lead.name,
                                                        protocol=protocol, expected=expected),
                                    lead=True)
            return await _page(datasette, request, db, True, done={
                "merged": result["merged"], "min_score": min_score, "left": result["left"]})
        a, b, verdict, request_id = _answer_fields(form)
        await write_as(datasette, request, db, lambda conn, lead, protocol: review.answer(
            conn, a, b, verdict, by=lead.name, protocol=protocol, request_id=request_id),
            lead=True)
    except store.ScreeningError as error:
        try:
            controls = await _viewer_may_answer(datasette, request, db)
        except Forbidden:
            return await error_page(datasette, request, str(error), error.status)
        return await _page(datasette, request, db, controls, error=str(error),
                           status=error.status)
    return Response.redirect(next_url, status=303)


def _answer_fields(body: dict, json_body: bool = False):
    a = inputs.record_id(body.get("a"), "a", json=json_body)
    b = inputs.record_id(body.get("b"), "b", json=json_body)
    verdict = inputs.text(body.get("answer"), "answer", required=True)
    if verdict not in review.ANSWERS:
        raise store.ScreeningError(f"answer must be one of {', '.join(review.ANSWERS)}")
    if a == b:
        raise store.ScreeningError("a and b must be two different records")
    return a, b, verdict, inputs.text(body.get("request_id"), "request_id")


def score_value(value, json_body: bool = False) -> float:
    """A score threshold: a number from 0 to 1 (text in a form; in JSON a
    number, never text: a wrong type is a 400, as for every JSON field)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and not json_body:
        try:
            value = float(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, (int, float)) or not 0 <= value <= 1 or value != value:
        raise store.ScreeningError("min_score must be a number from 0 to 1")
    return float(value)


def count_value(value, field: str) -> int:
    if isinstance(value, str):
        return inputs.count(value, field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
        raise store.ScreeningError(f"{field} must be a whole number (the pairs you confirmed)")
    return value


# JSON ----------------------------------------------------------------------

@json_view
async def duplicates_json(datasette, request):
    db = await duplicates_database(datasette, request)
    if request.method == "POST":
        return await _post_json(datasette, request, db)
    await _viewer_may_answer(datasette, request, db)
    page = inputs.page_number(request.args.get("page"))
    data = await read(db, lambda conn: queue_page(conn, page))
    return Response.json({"ok": True, **data})


async def _post_json(datasette, request, db):
    await writer_session(datasette, request, db, lead=True)
    body = await read_json(request)
    if "min_score" in body:
        inputs.json_fields(body, ACCEPT_FIELDS)
        min_score = score_value(body["min_score"], json_body=True)
        expected = None if body.get("expected") is None else count_value(body["expected"],
                                                                           "expected")
        result = await write_as(datasette, request, db, lambda conn, lead, protocol:
                                review.accept_above(conn, min_score, by=lead.name,
                                                    protocol=protocol, expected=expected),
                                lead=True)
        return Response.json({"ok": True, **result})
    inputs.json_fields(body, ANSWER_FIELDS)
    a, b, verdict, request_id = _answer_fields(body, json_body=True)
    result = await write_as(datasette, request, db, lambda conn, lead, protocol: review.answer(
        conn, a, b, verdict, by=lead.name, protocol=protocol, request_id=request_id), lead=True)
    return Response.json({"ok": True, **result})


# Unmerging -----------------------------------------------------------------

async def unmerge_view(datasette, request):
    db = await duplicates_database(datasette, request)
    if request.method != "POST":
        return Response.text("POST a merge_id to undo it", status=405)
    try:
        record_id = inputs.record_id(request.url_vars["record_id"])
        await writer_session(datasette, request, db, lead=True)
        form = await read_form(request)
        merge_id = inputs.record_id(form.get("merge_id"), "merge_id")
        request_id = inputs.text(form.get("request_id"), "request_id")
        result = await write_as(datasette, request, db, lambda conn, lead, protocol: unmerge(
            conn, merge_id, by=lead.name, protocol=protocol, request_id=request_id), lead=True)
    except store.ScreeningError as error:
        return await error_page(datasette, request, str(error), error.status)
    target = result["kept"] if result["kept"] != record_id else result["restored"]
    return Response.redirect(
        f"{datasette.urls.database(db.name)}/-/record/{target}?unmerged={result['restored']}",
        status=303)


def merge_history(conn, record_id: int) -> dict:
    """What the record page shows of merges: the merges into this record
    (in force or undone), the merge that took it away (if it is merged into
    another), and the other values its copies had."""
    merges = store._rows(conn, """
        SELECT m.id, m.merged_id, m.occurrences, m.matched_on, m.merged_by, m.score, m.reasons,
               m.created_at, m.snapshot IS NOT NULL AS whole_record,
               u.merged_by AS undone_by, u.created_at AS undone_at
        FROM mscdm_merges m LEFT JOIN mscdm_merges u ON u.undoes = m.id
        WHERE m.action = 'merge' AND m.kept_id = ? ORDER BY m.id""", [record_id])
    sources = {}
    for merge in merges:
        merge["occurrences"] = json.loads(merge["occurrences"])
        merge["reasons"] = json.loads(merge["reasons"] or "[]")
        if merge["merged_id"] is not None:
            snapshot = conn.execute("SELECT json_extract(snapshot, '$.merged.title')"
                                    " FROM mscdm_merges WHERE id = ?", [merge["id"]]).fetchone()
            merge["title"] = snapshot[0]
    for occurrence_id, path, database, position in conn.execute(
            "SELECT o.id, s.path, o.database, o.position FROM occurrences o JOIN sources s"
            " ON s.id = o.source_id WHERE o.record_id = ?", [record_id]):
        sources[occurrence_id] = {"path": path, "database": database, "position": position}
    row = conn.execute("SELECT * FROM records WHERE id = ?", [record_id])
    names = [d[0] for d in row.description]
    shown = dict(zip(names, row.fetchone() or ()))
    parts = [(occurrence_id, json.loads(text)) for occurrence_id, text in conn.execute(
        "SELECT id, record_values FROM occurrences WHERE record_id = ? AND record_values"
        " IS NOT NULL ORDER BY id", [record_id])]
    others = other_values(parts, shown) if shown else {}
    return {"merges": merges, "sources": sources, "others": others,
            "merged_away": merge_in_force_for(conn, record_id) if not shown else None}


async def merges_context(datasette, request, db, record_id: int) -> dict | None:
    """The record page's merge section (and its unmerge buttons for a lead);
    None for a database loaded by an older version."""
    if not await db.table_exists("mscdm_merges"):
        return None
    data = await read(db, lambda conn: merge_history(conn, record_id))
    data["can_unmerge"] = await can(datasette, request, db, LEAD)
    data["unmerge_action"] = f"{datasette.urls.database(db.name)}/-/record/{record_id}/unmerge"
    data["request_id"] = uuid.uuid4().hex
    data["record_base"] = f"{datasette.urls.database(db.name)}/-/record/"
    return data


async def merged_away_page(datasette, request, db, record_id: int):
    """/-/record/<id> of a record merged into another: where it went, and a
    lead's button to bring it back."""
    merge = None
    if await db.table_exists("mscdm_merges"):
        merge = await read(db, lambda conn: merge_in_force_for(conn, record_id))
    if merge is None:
        raise NotFound(f"No record {record_id}")
    snapshot = json.loads(merge["snapshot"] or "{}")
    return Response.html(await datasette.render_template("mscdm_record_merged.html", {
        "database": db.name, "record_id": record_id, "merge": merge,
        "title": (snapshot.get("merged") or {}).get("title"),
        "reasons": json.loads(merge["reasons"] or "[]"),
        "can_unmerge": await can(datasette, request, db, LEAD),
        "unmerge_action": f"{datasette.urls.database(db.name)}/-/record/{record_id}/unmerge",
        "request_id": uuid.uuid4().hex,
        "record_base": f"{datasette.urls.database(db.name)}/-/record/",
        "css": datasette.urls.static_plugins("datasette_mscdm", "mscdm-duplicates.css"),
    }, request=request), status=200)
