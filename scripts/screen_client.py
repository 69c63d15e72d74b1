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

    def login(self, name: str, password: str) -> None:
        data = urllib.parse.urlencode({"name": name, "password": password}).encode()
        status, _ = self._send(urllib.request.Request(f"{self.base}/login", data=data))
        if status != 302:
            raise RuntimeError(f"login of {name} failed: HTTP {status}")

    def next(self, stage: str = "title_abstract") -> dict:
        return self._json("GET", f"/screen/next.json?stage={stage}")[1]

    def decide(self, record_id: int, decision: str, stage: str = "title_abstract",
               **extra) -> tuple[int, dict]:
        return self._json("POST", "/screen/decisions.json",
                          dict(record_id=record_id, decision=decision, stage=stage, **extra))

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
