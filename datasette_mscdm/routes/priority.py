"""A lead's priority-order actions, each a form post that comes back to the
page it was made on with a message:

- /<database>/-/record/<id>/seed: mark the record as known relevant (a
  seed include the ranker learns from), or unmark it;
- /<database>/-/screen/stop: stop title/abstract screening early on the
  stopping estimate, with a reason; the records nobody has voted on are
  excluded as "marked as ineligible by automation tools" (PRISMA);
- /<database>/-/screen/resume: undo that stop.
"""

from __future__ import annotations

from datasette import Response

from ..screening import priority, store
from . import inputs
from .common import error_page, read_form, safe_next, screening_database, write_as, \
    writer_session


async def _lead_post(datasette, request, fields: tuple[str, ...], act, default_next: str):
    """Run `act(conn, lead, protocol, form)` as a lead and redirect back
    with its message; a refusal is an error page with its status."""
    db = await screening_database(datasette, request)
    if request.method != "POST":
        return Response.text("POST a form to this address", status=405)
    try:
        await writer_session(datasette, request, db, lead=True)
        form = await read_form(request, fields + ("next",))
        next_url = inputs.text(form.get("next"), "next")
        message = await write_as(datasette, request, db,
                                 lambda conn, lead, protocol: act(conn, lead, protocol, form),
                                 lead=True)
    except store.ScreeningError as error:
        return await error_page(datasette, request, str(error), error.status)
    datasette.add_message(request, message, datasette.INFO)
    base = datasette.urls.database(db.name)
    return Response.redirect(safe_next(datasette, db, next_url, base + default_next), status=303)


async def seed_view(datasette, request):
    try:
        record_id = inputs.record_id(request.url_vars["record_id"])
    except store.ScreeningError as error:
        return await error_page(datasette, request, str(error), error.status)

    def act(conn, lead, protocol, form):
        action = inputs.text(form.get("action"), "action", required=True)
        note = inputs.text(form.get("note"), "note")
        if action == "mark":
            changed = priority.mark_seed(conn, [record_id], lead.name, note)
            return (f"Record {record_id} is marked as known relevant: the ranker learns from it"
                    if changed else f"Record {record_id} was already marked as known relevant.")
        if action == "unmark":
            if conn.execute("SELECT 1 FROM records WHERE id = ?", [record_id]).fetchone() is None:
                raise store.ScreeningError(f"no record {record_id}", 404)
            changed = priority.unmark_seed(conn, [record_id], lead.name)
            return (f"Record {record_id} is no longer marked as known relevant." if changed
                    else f"Record {record_id} was not marked as known relevant.")
        raise store.ScreeningError("action must be mark or unmark")

    return await _lead_post(datasette, request, ("action", "note"), act,
                            f"/-/record/{record_id}")


async def stop_view(datasette, request):
    def act(conn, lead, protocol, form):
        reason = inputs.text(form.get("reason"), "reason", required=True)
        expected = inputs.count(form.get("confirm"), "confirm")
        # The dashboard's form also names the records and the latest stop or
        # resume it was shown after (a script may leave them out).
        records = inputs.text(form.get("records"), "records")
        after = form.get("after")
        excluded = priority.stop_screening(
            conn, protocol, lead, reason, expected, expected_records=records,
            after_action=None if after is None else inputs.count(after, "after"))
        return (f"Title/abstract screening stopped: {excluded:,} records nobody had screened are"
                " excluded as marked ineligible by automation tools. Resume undoes it.")

    return await _lead_post(datasette, request, ("reason", "confirm", "records", "after"), act,
                            "/-/review#stopping")


async def resume_view(datasette, request):
    def act(conn, lead, protocol, form):
        returned = priority.resume_screening(conn, protocol, lead,
                                             inputs.text(form.get("reason"), "reason"))
        return (f"Title/abstract screening resumed: {returned:,} records are unscreened again"
                " and back in the reviewers' queues.")

    return await _lead_post(datasette, request, ("reason",), act, "/-/review#stopping")
