#!/usr/bin/env bash
# Install datasette-mscdm in .venv, load data/ into review.db and serve it on
# http://127.0.0.1:8001 with the plugin, metadata.yml and datasette.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e .
# Reloading is idempotent: files already in review.db are skipped.
.venv/bin/mscdm load review.db data/
exec .venv/bin/datasette serve review.db --metadata metadata.yml --config datasette.yaml \
    --host 127.0.0.1 --port "${PORT:-8001}"
