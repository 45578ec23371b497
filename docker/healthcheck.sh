#!/usr/bin/env bash
# Container health by role (the argument, else the role docker/entrypoint.sh recorded):
#   web     GET /health answers 200
#   engine  this node's heartbeat key is fresh in Redis (the session host's scan loop runs)
#   worker  the Celery worker answers a ping
#   beat    the process is up (it has nothing to probe)
set -euo pipefail
cd "$(dirname "$0")/.."
role=${1:-$(cat "${TMPDIR:-/tmp}/yesapp.role" 2>/dev/null || echo web)}
# Docker runs health checks as root: probe as the app user, so nothing it writes (a log line)
# ends up owned by root in the data volume.
if [ "$(id -u)" = "0" ] && [ -n "${YESAPP_RUN_AS:-}" ]; then
  exec setpriv --reuid="$YESAPP_RUN_AS" --regid="$YESAPP_RUN_AS" --init-groups env HOME=/app "$0" "$role"
fi
PY=python
if [ -x .venv/bin/python ]; then
  PY=.venv/bin/python
fi

case "$role" in
  web)
    exec "$PY" -c '
import os, sys, urllib.request
url = "http://127.0.0.1:%s/health" % os.environ.get("PORT", "3000")
sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)'
    ;;
  engine)
    # sessions_app/engine/nodes.py: the node `engine@<hostname>` refreshes this key every scan.
    exec "$PY" -c '
import os, socket, sys, redis
client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=3)
sys.exit(0 if client.exists("yesapp:engine:node:engine@" + socket.gethostname()) else 1)'
    ;;
  worker)
    exec "${PY%python}celery" -A yesapp inspect ping -d "worker@$(hostname)" --timeout 4 >/dev/null
    ;;
  beat)
    exit 0
    ;;
  *)
    exit 0
    ;;
esac
