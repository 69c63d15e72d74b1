"""Reviewer login and logout: /<database>/-/login and /<database>/-/logout.

Reviewers live in the review database (`mscdm reviewer add`), so one
`datasette serve` serves a whole team. A login sets Datasette's signed
`ds_actor` cookie; Datasette's header-based CSRF protection covers both forms.
"""

from __future__ import annotations

import asyncio

from datasette import Response

from ..screening.access import session_actor
from ..screening.store import check_login
from .common import safe_next, screening_database

SESSION_SECONDS = 12 * 3600


async def login_view(datasette, request):
    db = await screening_database(datasette, request)
    screen_url = datasette.urls.database(db.name) + "/-/screen"
    if request.method == "POST":
        return await _login(datasette, request, db, screen_url)
    return await _login_page(datasette, request, db, request.args.get("next"))


async def _login_page(datasette, request, db, next_url, error=None, status=200, name=""):
    return Response.html(await datasette.render_template(
        "mscdm_login.html",
        {"database": db.name, "next": next_url or "", "error": error, "name": name,
         "read_only": not db.is_mutable},
        request=request), status=status)


async def _login(datasette, request, db, screen_url):
    form = await request.post_vars()
    name, password = (form.get("name") or "").strip(), form.get("password") or ""
    if not db.is_mutable:
        return await _login_page(datasette, request, db, form.get("next"), status=403,
                                 error="This review is read-only: there is nothing to log in to.")
    # scrypt takes ~50 ms of CPU: keep it off the event loop.
    reviewer = await db.execute_fn(lambda conn: check_login(conn, name, password))
    if reviewer is None:
        await asyncio.sleep(0.2)
        return await _login_page(datasette, request, db, form.get("next"), status=403,
                                 error="Unknown name or wrong password.", name=name)
    response = Response.redirect(safe_next(datasette, db, form.get("next"), screen_url))
    datasette.set_actor_cookie(response, session_actor(db.name, reviewer),
                               expire_after=SESSION_SECONDS)
    return response


async def logout_view(datasette, request):
    db = await screening_database(datasette, request)
    if request.method != "POST":
        return Response.text("Log out with a POST (the logout button).", status=405)
    response = Response.redirect(datasette.urls.database(db.name) + "/-/login")
    datasette.delete_actor_cookie(response)
    return response
