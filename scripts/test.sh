#!/usr/bin/env bash
# Install datasette-mscdm with its test dependencies in .venv and run the tests.
# The browser tests drive Debian's Chromium; as root on a Debian machine this
# installs it when it is missing (never a browser download of Playwright's own).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
