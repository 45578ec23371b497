#!/usr/bin/env bash
# The image's one entrypoint: `web`, `engine`, `worker`, `beat`, or `manage <command...>`.
#
#   web      migrates the database, makes the first API key (printed once: `API Key: ...`),
#            then serves on :$PORT. Engine, worker and beat wait for web to be healthy
#            (compose `depends_on`), so migrations run exactly once, here.
#   engine   hosts the WhatsApp sessions (Chromium); worker runs webhooks; beat the timers.
#
# The process command lines live in scripts/serve.sh, shared with the Procfile (`make run`).
set -euo pipefail
cd "$(dirname "$0")/.."

role=${1:-web}
shift || true

# Started as root (the default): make the data volume writable for the app user, whatever
# owned the host directory, then drop to that user for everything else.
if [ "$(id -u)" = "0" ] && [ -n "${YESAPP_RUN_AS:-}" ]; then
  mkdir -p "${DATA_DIR:-/app/data}"
  # Only what is not the app user's already (a new host directory, files made by `exec` as root).
  find "${DATA_DIR:-/app/data}" ! -user "$YESAPP_RUN_AS" -exec chown "$YESAPP_RUN_AS:$YESAPP_RUN_AS" {} +
  exec setpriv --reuid="$YESAPP_RUN_AS" --regid="$YESAPP_RUN_AS" --init-groups \
    env HOME="/app" "$0" "$role" "$@"
fi

# The healthcheck reads which role this container runs.
echo "$role" > "${TMPDIR:-/tmp}/yesapp.role" 2>/dev/null || true

PY=python
if [ -x .venv/bin/python ]; then
  PY=.venv/bin/python
fi

case "$role" in
  web)
    # The same steps as `make bootstrap` (Makefile): migrate, then bootstrap.
    "$PY" manage.py migrate --noinput
    "$PY" manage.py bootstrap
    exec scripts/serve.sh web
    ;;
  engine | worker | beat)
    exec scripts/serve.sh "$role"
    ;;
  manage)
    exec "$PY" manage.py "$@"
    ;;
  *)
    # Anything else runs as a command: `docker compose run --rm web bash`.
    exec "$role" "$@"
    ;;
esac
