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
# Demo reviewers (local demo only: a real team sets its own passwords).
for who in lead:lead reviewer1:reviewer reviewer2:reviewer; do
    name=${who%%:*}
    if ! .venv/bin/mscdm reviewer list review.db --json | grep -q "\"name\": \"$name\""; then
        echo demo-password | .venv/bin/mscdm reviewer add review.db "$name" \
            --role "${who##*:}" --password-stdin
    fi
done
# Logins survive restarts: the demo signs its cookies with a secret kept in a
# git-ignored file (a real team sets DATASETTE_SECRET itself).
if [ -z "${DATASETTE_SECRET:-}" ]; then
    [ -s .demo-secret ] || .venv/bin/python -c "import secrets; print(secrets.token_hex(32))" > .demo-secret
    chmod 600 .demo-secret
    export DATASETTE_SECRET="$(cat .demo-secret)"
fi
echo "Log in at http://127.0.0.1:${PORT:-8001}/review/-/login as lead, reviewer1 or reviewer2" \
     "(password: demo-password)"
exec .venv/bin/datasette serve review.db --metadata metadata.yml --config datasette.yaml \
    --host 127.0.0.1 --port "${PORT:-8001}"
