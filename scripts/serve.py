"""Serve a review database with a real `datasette serve` on a free 127.0.0.1
port, with this repository's metadata.yml and datasette.yaml. Shared by the
browse benchmark and the browser tests."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(db: Path, timeout: float = 30, immutable: bool = False):
    """Yield the base URL of a datasette serving `db` (read-only with
    `immutable`, as `datasette -i`); stop it afterwards."""
    port = free_port()
    database = ["-i", str(db)] if immutable else [str(db)]
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", *database, "--metadata",
         str(REPO / "metadata.yml"), "--config", str(REPO / "datasette.yaml"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    raise RuntimeError(f"datasette did not start: {process.stderr.read().decode()}")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)
