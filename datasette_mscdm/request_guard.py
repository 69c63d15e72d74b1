"""The plugin's ASGI wrapper: what must happen before Datasette sees a request.

1. The records table of a review database opens on its work list columns
   (worklist.py): a request for its HTML page without a column selection is
   redirected to one.
2. A 400 instead of Datasette's 500 for filter values SQLite cannot hold,
   and (bad_request_response, Datasette's handle_exception hook) for the
   other errors its table pages raise on a request's own bad parameters.

Datasette's table pages turn the value of a numeric comparison filter
(`?id__gt=...`) into a Python int and bind it; beyond SQLite's 64-bit range
that raises OverflowError, which Datasette answers with a 500. The plugin
cannot change Datasette's filters, so this ASGI wrapper answers such a
request with a 400 before it reaches them. Only whole numbers outside the
range, and only in the comparison filters that convert to numbers, are
refused: a search for a long number still works."""

from __future__ import annotations

import json
import re
import sqlite3
from urllib.parse import parse_qsl

from .review_db import is_review_database
from .worklist import work_list_redirect

MAX = 2**63 - 1
_NUMERIC_FILTER = re.compile(r"__(gt|gte|lt|lte)$")


def out_of_range(query_string: str) -> str | None:
    """The first numeric filter whose whole-number value SQLite cannot hold.
    Datasette converts such values with Python's int() (which also takes
    "1_000" and other scripts' digits), so the same int() decides here."""
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if not _NUMERIC_FILTER.search(key) or len(value) > 10_000:
            continue
        try:
            number = int(value)
        except ValueError:
            continue
        if not -MAX - 1 <= number <= MAX:
            return key
    return None


async def _answer(send, status: int, body: bytes, headers: list) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def guard(datasette):
    def wrap(app):
        async def wrapped(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            query = scope.get("query_string", b"").decode("latin-1")
            key = out_of_range(query)
            if key:
                body = (f"400: the value of {key} is beyond the whole numbers SQLite can hold"
                        f" ({-MAX - 1} to {MAX}).\n").encode()
                return await _answer(send, 400, body,
                                     [(b"content-type", b"text/plain; charset=utf-8")])
            redirect = (work_list_redirect(scope.get("path", ""), query)
                        if scope.get("method") == "GET" else None)
            if redirect and redirect[0] in datasette.databases and await is_review_database(
                    datasette.get_database(redirect[0])):
                location = scope.get("root_path", "") + redirect[1]
                return await _answer(send, 302, b"", [(b"location", location.encode())])
            await app(scope, receive, send)

        return wrapped

    return wrap


# Errors Datasette's own pages raise on a request's bad parameters, which it
# answers with a 500: a facet on a column the table does not have, an array
# facet on a column that holds no JSON, a `?_through=` that is not JSON, a
# number SQLite cannot bind. They are the request's fault, so a 400.
_CLIENT_ERRORS = ("no such column", "malformed JSON", "fts5: syntax error",
                  "unrecognized token", "Python int too large")


def client_error(exception) -> str | None:
    """What was wrong with the request, if `exception` says it was."""
    if isinstance(exception, (json.JSONDecodeError, OverflowError)):
        return f"a parameter is not well formed: {exception}"
    if isinstance(exception, sqlite3.OperationalError) and str(exception).startswith(
            _CLIENT_ERRORS):
        return f"the request asks for something the table does not have: {exception}"
    return None


def bad_request_response(exception):
    """Datasette's handle_exception hook: a 400 for a request's own fault."""
    message = client_error(exception)
    if message is None:
        return None
    from datasette import Response

    return Response.text(f"400: {message}"[:500] + "\n", status=400)
