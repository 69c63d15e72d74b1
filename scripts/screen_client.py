"""A reviewer talking to a real `datasette serve` over HTTP, as a script
would: log in through the login form (cookie), then the JSON endpoints.
Used by the concurrency test and scripts/bench_screen.py."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request


class ReviewerClient:
    def __init__(self, base: str, database: str = "review"):
        self.base = f"{base}/{database}/-"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect())

    def login(self, name: str, password: str, headers: dict | None = None) -> None:
        status = self.try_login(name, password, headers)
        if status != 302:
            raise RuntimeError(f"login of {name} failed: HTTP {status}")

    def try_login(self, name: str, password: str, headers: dict | None = None) -> int:
        return self.post_form("/login", {"name": name, "password": password}, headers)[0]

    def next(self, stage: str = "title_abstract") -> dict:
        return self._json("GET", f"/screen/next.json?stage={stage}")[1]

    def decide(self, record_id: int, decision: str, stage: str = "title_abstract",
               **extra) -> tuple[int, dict]:
        return self._json("POST", "/screen/decisions.json",
                          dict(record_id=record_id, decision=decision, stage=stage, **extra))

    def undo(self, stage: str = "title_abstract") -> tuple[int, dict]:
        return self._json("POST", "/screen/undo.json", {"stage": stage})

    def post_form(self, path: str, fields: dict, headers: dict | None = None
                  ) -> tuple[int, bytes]:
        """POST a form to a page under /<database>/-/ (as the browser would)."""
        data = urllib.parse.urlencode(fields).encode()
        return self._send(urllib.request.Request(f"{self.base}{path}", data=data,
                                                 headers=headers or {}))

    def get(self, url: str) -> tuple[int, bytes]:
        """GET any URL of the server (absolute), with this reviewer's cookie."""
        return self._send(urllib.request.Request(url))

    def _json(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"})
        status, payload = self._send(request)
        return status, json.loads(payload)

    def _send(self, request) -> tuple[int, bytes]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
