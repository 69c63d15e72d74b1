"""Reviewer login and logout: /<database>/-/login and /<database>/-/logout.

Reviewers live in the review database (`mscdm reviewer add`), so one
`datasette serve` serves a whole team. A login sets Datasette's signed
`ds_actor` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) carrying the
reviewer's session version, which a password change, a role change or a
removal bumps: the server then refuses the old cookie. Failed logins are
throttled per name and per client address. Datasette's header-based CSRF
protection covers both forms.
"""

from __future__ import annotations

import asyncio
import logging
import time

from datasette import Response
from datasette.utils import baseconv

from ..review_db import read
from ..screening import store
from ..screening.access import PLUGIN, reviewer_session, session_actor
from . import inputs
from .common import read_form, safe_next, screening_database

SESSION_SECONDS = store.SESSION_SECONDS
log = logging.getLogger("datasette_mscdm.login")


def login_settings(datasette, database: str) -> dict:
    """`login:` of the plugin configuration: `secure_cookie` (auto: when the
    request came over HTTPS or Datasette's force_https_urls is on)."""
    config = (datasette.plugin_config(PLUGIN, database=database)
              or datasette.plugin_config(PLUGIN) or {}).get("login") or {}
    secure = config.get("secure_cookie", "auto")
    if secure not in ("auto", True, False):
        secure = "auto"
    return {"secure_cookie": secure}


def client_address(request) -> str:
    # uvicorn already puts the client of a trusted local reverse proxy here
    # (X-Forwarded-For from --forwarded-allow-ips, 127.0.0.1 by default).
    client = request.scope.get("client")
    return str(client[0]) if client else "unknown"


def set_login_cookie(datasette, request, response: Response, actor: dict) -> None:
    """Datasette's signed actor cookie, as datasette.set_actor_cookie writes
    it, but HttpOnly (page scripts never need it) and Secure over HTTPS."""
    secure = login_settings(datasette, request.url_vars["database"])["secure_cookie"]
    if secure == "auto":
        secure = request.scheme == "https" or bool(datasette.setting("force_https_urls"))
    data = {"a": actor, "e": baseconv.base62.encode(int(time.time()) + SESSION_SECONDS)}
    response.set_cookie("ds_actor", datasette.sign(data, "actor"), httponly=True,
                        samesite="lax", secure=secure)


async def login_view(datasette, request):
    db = await screening_database(datasette, request)
    screen_url = datasette.urls.database(db.name) + "/-/screen"
    if request.method == "POST":
        return await _login(datasette, request, db, screen_url)
    next_url = request.args.get("next")
    return await _login_page(datasette, request, db, next_url if isinstance(next_url, str)
                             else None)


async def _login_page(datasette, request, db, next_url, error=None, status=200, name="",
                      headers=None):
    return Response.html(await datasette.render_template(
        "mscdm_login.html",
        {"database": db.name, "next": next_url or "", "error": error, "name": name,
         "read_only": not db.is_mutable},
        request=request), status=status, headers=headers)


async def _login(datasette, request, db, screen_url):
    try:
        form = await read_form(request, ("name", "password", "next"))
        name = (inputs.text(form.get("name"), "name") or "").strip()
        password = inputs.text(form.get("password"), "password") or ""
        next_url = inputs.text(form.get("next"), "next")
    except store.ScreeningError as error:
        return await _login_page(datasette, request, db, None, error=str(error), status=400)
    if not db.is_mutable:
        return await _login_page(datasette, request, db, next_url, status=403,
                                 error="This review is read-only: there is nothing to log in to.")
    address, at = client_address(request), time.time()
    # The attempt is counted (as a failure until it succeeds) in the same
    # write as the check, so a burst of attempts cannot slip past the limit.
    wait, attempt_id = await db.execute_write_fn(
        lambda conn: store.begin_login_attempt(conn, name, address, at))
    if wait:
        log.warning("login throttled: name=%r address=%s (retry in %d s)", name, address, wait)
        return await _login_page(
            datasette, request, db, next_url, status=429, name=name,
            headers={"Retry-After": str(wait)},
            error=f"Too many failed logins for this name or from this address. Try again in "
                  f"{(wait + 59) // 60} minute(s).")
    # scrypt takes ~50 ms of CPU: keep it off the event loop.
    reviewer = await read(db, lambda conn: store.check_login(conn, name, password))
    if reviewer is None:
        await db.execute_write_fn(lambda conn: store.fail_login_attempt(conn, attempt_id))
        log.warning("failed login: name=%r address=%s", name, address)
        await asyncio.sleep(0.2)
        return await _login_page(datasette, request, db, next_url, status=403,
                                 error="Unknown name or wrong password.", name=name)
    # Success: this attempt and the name's earlier failures no longer count,
    # and the login is a session of its own on the server.
    def open_session(conn):
        store.clear_login_failures(conn, name)
        return store.start_session(conn, reviewer, at)

    session_id = await db.execute_write_fn(open_session)
    response = Response.redirect(safe_next(datasette, db, next_url, screen_url))
    set_login_cookie(datasette, request, response,
                     session_actor(db.name, reviewer, session_id))
    return response


async def logout_view(datasette, request):
    db = await screening_database(datasette, request)
    if request.method != "POST":
        return Response.text("Log out with a POST (the logout button).", status=405)
    # The session ends on the server too: the cookie is worthless even if
    # someone kept a copy.
    session = reviewer_session(db.name, request.actor)
    if session and db.is_mutable:
        await db.execute_write_fn(lambda conn: store.end_session(conn, session[2]))
    response = Response.redirect(datasette.urls.database(db.name) + "/-/login")
    response.set_cookie("ds_actor", "", expires=0, max_age=0, httponly=True, samesite="lax")
    return response
