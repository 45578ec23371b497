#!/usr/bin/env bash
# Runs one YesApp process in the foreground: web, engine, worker or beat.
# The one definition of these command lines: the Procfile (`make run`) and the Docker
# entrypoint (docker/entrypoint.sh) both call this script, so they cannot drift apart.
#
#   scripts/serve.sh web      gunicorn on 0.0.0.0:$PORT, ASGI (uvicorn workers: yesapp/web_worker.py)
#   scripts/serve.sh engine   Celery worker on the `engine` queue: hosts the WhatsApp sessions
#   scripts/serve.sh worker   Celery worker on `default` and `webhooks`
#   scripts/serve.sh beat     Celery beat: the periodic tasks (webhook sweep, pruning)
#
# SERVE_DRY_RUN=1 prints the command instead of running it.
# SERVE_RESTART=1 (set by `make run`, which has no supervisor) starts a Celery role again when it
# exits on its own, as Compose's restart policy does for the containers.
set -euo pipefail
# Files and directories this process makes are private to the app user (yesapp/settings.py
# sets the same umask; this also covers what gunicorn and Celery write before loading it).
umask 077
cd "$(dirname "$0")/.."

# The project's virtualenv when there is one (make install, and the Docker image's /app/.venv);
# otherwise whatever is on PATH.
: "${VENV:=.venv}"
BIN=""
if [ -x "$VENV/bin/python" ]; then
  BIN="$VENV/bin/"
fi

# honcho (make run) hands each process a PORT of its own: 3000, 3100, ... The app derives
# PUBLIC_URL and INTERNAL_BASE_URL from PORT, so every role must see the web server's port.
if [ -n "${SERVE_PORT:+set}" ]; then
  export PORT="$SERVE_PORT"
fi

role=${1:-}
case "$role" in
  web)
    # ASGI, so event streams (GET /api/v1/events/stream) wait on the event loop, not in a
    # thread each; every other view runs in a thread of its own, as under WSGI.
    cmd=("${BIN}gunicorn" yesapp.asgi:application -k yesapp.web_worker.WebWorker
      --bind "0.0.0.0:${PORT:-3000}" --workers "${WEB_WORKERS:-2}" --timeout 60 --log-level warning)
    ;;
  engine)
    # Threads, not prefork: the session host (a worker bootstep) and its actor threads live
    # in the worker process itself, and commands are short tasks handed to those threads.
    cmd=("${BIN}celery" -A yesapp worker -n "engine@%h" -Q engine -P threads -c 8 --loglevel=INFO -E)
    ;;
  worker)
    cmd=("${BIN}celery" -A yesapp worker -n "worker@%h" -Q default,webhooks
      -c "${WORKER_CONCURRENCY:-4}" --loglevel=INFO)
    ;;
  beat)
    cmd=("${BIN}celery" -A yesapp beat --loglevel=INFO -s "${DATA_DIR:-data}/celerybeat-schedule")
    ;;
  *)
    echo "usage: $0 web|engine|worker|beat" >&2
    exit 2
    ;;
esac

if [ -n "${SERVE_DRY_RUN:+set}" ]; then
  echo "${cmd[*]}"
  exit 0
fi
# Celery warns at start when it runs as root ("superuser privileges ... absolutely not
# recommended"). Its concern is a pickled message running code as root; say why that does not
# apply here, right before the warning.
if [ "$role" != web ] && [ "$(id -u)" = 0 ]; then
  echo "serve.sh: the $role runs as root, so Celery warns about it below. Its worry is a pickled" \
    "message running code as root: YesApp's Celery accepts only JSON messages" \
    "(CELERY_ACCEPT_CONTENT), so none can. Run YesApp as a normal user (the Docker image does)" \
    "to avoid the warning." >&2
fi
if [ -z "${SERVE_RESTART:+set}" ] || [ "$role" = web ]; then
  exec "${cmd[@]}"
fi

# A Celery worker can exit on its own: kombu sometimes gives up with "Unrecoverable error" when
# Redis goes away mid-task. Unsupervised, that would stop everything under honcho. A stop asked
# for (SIGTERM or SIGINT, which honcho sends to the whole process group) is never restarted.
stopping=""
trap 'stopping=1; [ -n "${child:-}" ] && kill -TERM "$child" 2>/dev/null' TERM INT
delay=1
while [ -z "$stopping" ]; do
  started=$SECONDS
  "${cmd[@]}" &
  child=$!
  # A stop that came just before the start (the trap saw no child yet) still reaches it.
  if [ -n "$stopping" ]; then kill -TERM "$child" 2>/dev/null || true; fi
  # `wait` returns early when a trapped signal arrives; bash keeps each child's exit status,
  # so the last `wait` gives the child's own.
  while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
  status=0
  wait "$child" || status=$?
  child=""
  if [ -n "$stopping" ]; then
    exit "$status"
  fi
  # A worker that ran a while is restarted at once; one that keeps failing, less and less often.
  if [ $((SECONDS - started)) -ge 60 ]; then delay=1; fi
  echo "serve.sh: $role exited with status $status; starting it again in ${delay}s" >&2
  sleep "$delay" & wait $! || true
  delay=$((delay < 30 ? delay * 2 : 30))
done
exit 0  # stopped while waiting to start it again
