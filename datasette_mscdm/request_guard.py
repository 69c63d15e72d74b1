"""The plugin's ASGI wrapper: what must happen before Datasette sees a request.

1. The records table of a review database opens on its work list columns
   (worklist.py): a request for its HTML page without a column selection is
   redirected to one.
2. A 400 instead of Datasette's 500 for filter values SQLite cannot hold.

Datasette's table pages turn the value of a numeric comparison filter
(`?id__gt=...`) into a Python int and bind it; beyond SQLite's 64-bit range
that raises OverflowError, which Datasette answers with a 500. The plugin
cannot change Datasette's filters, so this ASGI wrapper answers such a
request with a 400 before it reaches them. Only whole numbers outside the
range, and only in the comparison filters that convert to numbers, are
refused: a search for a long number still works."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from .review_db import is_review_database
from .worklist import work_list_redirect

MAX = 2**63 - 1
_NUMERIC_FILTER = re.compile(r"__(gt|gte|lt|lte)$")
_INTEGER = re.compile(r"\s*[-+]?\d+\s*")


def out_of_range(query_string: str) -> str | None:
    """The first numeric filter whose whole-number value SQLite cannot hold."""
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if _NUMERIC_FILTER.search(key) and _INTEGER.fullmatch(value):
            if not -MAX - 1 <= int(value) <= MAX:
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
