"""The Docker image and Compose files: valid, complete, and built from the same steps as
`make run` and CI, so the container cannot drift from what the test suite exercises.

No Docker engine runs on the build machines: `docker compose config` validates the Compose
files when the compose plugin is installed; the rest reads the files, and the entrypoint is
rehearsed outside a container (same script, same commands, a real server and engine).
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml
from django.conf import settings

from sessions_app.tests.helpers import wait_for
from yesapp.tests.fixtures import ROOT, child_env
from yesapp.tests.helpers import stop_process_group

COMPOSE = ROOT / "docker" / "docker-compose.yml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
SERVE = ROOT / "scripts" / "serve.sh"
ROLES = ("web", "engine", "worker", "beat")


def _clean_environ() -> dict[str, str]:
    """This process's environment without SERVE_PORT, which `make run` sets for its children."""
    return {k: v for k, v in os.environ.items() if k != "SERVE_PORT"}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _env(service: dict) -> dict:
    env = service.get("environment", {})
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def _serve(role: str, **env: str) -> str:
    """The command line scripts/serve.sh runs for `role`."""
    result = subprocess.run(
        [str(SERVE), role],
        env={**_clean_environ(), "SERVE_DRY_RUN": "1", **env},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return result.stdout.strip()


def _docker_compose_available() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=20)
    return result.returncode == 0


# --- Compose ----------------------------------------------------------------------------------


@pytest.mark.skipif(not _docker_compose_available(), reason="the docker compose plugin is not installed")
@pytest.mark.parametrize("profile", [None, "postgres"])
def test_docker_compose_config_accepts_the_root_compose_file(tmp_path, profile):
    # A copy without .env: the user's own settings must not decide whether the file is valid.
    (tmp_path / "docker").mkdir()
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(COMPOSE, tmp_path / "docker" / "docker-compose.yml")
    profiles = ["--profile", profile] if profile else []
    command = ["docker", "compose", *profiles, "config", "--format", "json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    for name in ("PORT", "PUBLIC_URL", "ALLOWED_HOSTS", "POSTGRES_PASSWORD"):
        env.pop(name, None)
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    services = config["services"]
    expected = {"web", "engine", "worker", "beat", "redis"} | ({"postgres"} if profile else set())
    assert set(services) == expected
    web = services["web"]
    assert web["ports"][0]["target"] == 3000 and web["ports"][0]["published"] == "3000"
    assert web["environment"]["PUBLIC_URL"] == "http://localhost:3000"
    assert web["environment"]["INTERNAL_BASE_URL"] == "http://web:3000"
    assert "web" in web["environment"]["ALLOWED_HOSTS"].split(",")
    assert web["volumes"][0]["source"] == str(tmp_path / "data")
    assert web["volumes"][0]["target"] == "/app/data"
    assert int(services["engine"]["shm_size"]) >= 512 * 1024 * 1024


def test_root_compose_file_includes_the_docker_one():
    root = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert root["include"] == ["docker/docker-compose.yml"]


def test_compose_runs_every_role_of_the_procfile_plus_redis_and_optional_postgres():
    services = _compose()["services"]
    procfile_roles = re.findall(r"^(\w+):", (ROOT / "Procfile").read_text(), re.M)
    for role in procfile_roles:
        assert services[role]["command"] == [role]
    assert set(services) == {*procfile_roles, "redis", "postgres"}
    assert services["postgres"]["profiles"] == ["postgres"]
    assert "profiles" not in services["web"] and "profiles" not in services["redis"]


def test_every_service_restarts_and_has_a_health_check():
    for name, service in _compose()["services"].items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name


def test_app_services_share_the_image_data_volume_and_optional_env_file():
    services = _compose()["services"]
    for role in ROLES:
        service = services[role]
        assert service["image"] == "yesapp:local"
        assert service["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
        # Relative to docker/: the repository's ./data and ./.env.
        assert "../data:/app/data" in service["volumes"]
        assert service["env_file"] == [{"path": "../.env", "required": False}]
        env = _env(service)
        assert env["DATA_DIR"] == "/app/data"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["INTERNAL_BASE_URL"] == "http://web:3000"
        assert env["ALLOWED_HOSTS"].endswith(",web")
        assert env["PUBLIC_URL"].startswith("${PUBLIC_URL:-http://localhost:")


def test_workers_wait_for_a_healthy_web_which_waits_for_redis():
    services = _compose()["services"]
    assert services["web"]["depends_on"]["redis"]["condition"] == "service_healthy"
    # PostgreSQL only when its profile is on.
    assert services["web"]["depends_on"]["postgres"] == {"condition": "service_healthy", "required": False}
    for role in ("engine", "worker", "beat"):
        depends = services[role]["depends_on"]
        # Migrations run once, in web, before any worker touches the database.
        assert depends["web"]["condition"] == "service_healthy", role
        assert depends["redis"]["condition"] == "service_healthy", role


def test_engine_gets_shared_memory_and_time_to_close_its_browsers():
    engine = _compose()["services"]["engine"]
    assert engine["shm_size"] == "1gb"
    assert engine["stop_grace_period"] == "60s"
    # The engine still starts Chromium with --disable-dev-shm-usage.
    assert "--disable-dev-shm-usage" in (ROOT / "sessions_app" / "engine" / "browser_process.py").read_text()


# --- Dockerfile: the same steps as make and CI ---------------------------------------------


def _run_lines(text: str) -> str:
    """The Dockerfile with continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _recipe_lines(target: str) -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    block = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert block, target
    return [line.strip() for line in block.group(1).splitlines()]


def test_dockerfile_is_multi_stage_on_debian_slim_python():
    dockerfile = _run_lines(DOCKERFILE.read_text())
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", dockerfile, re.M)
    assert [name for _, name in stages] == ["wajs", "wheels", ""]
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in dockerfile
    assert stages[0][0].startswith("node:") and stages[2][0] == "${PYTHON_IMAGE}"


def test_dockerfile_installs_wajs_with_the_makefiles_npm_command():
    npm = next(line for line in _recipe_lines("$(WAJS)") if line.startswith("npm "))
    dockerfile = _run_lines(DOCKERFILE.read_text())
    assert f"RUN {npm}" in dockerfile
    assert "COPY package.json package-lock.json ./" in dockerfile


def test_dockerfile_installs_python_packages_from_the_hashed_lock_like_make():
    dockerfile = _run_lines(DOCKERFILE.read_text())
    assert re.search(r"pip download --require-hashes --dest /wheels -r requirements\.txt", dockerfile)
    assert re.search(
        r"pip install .*--no-index --find-links=/wheels --require-hashes -r requirements\.txt", dockerfile
    )
    assert "$(PIP) install --quiet --require-hashes -r requirements.txt" in _recipe_lines(
        "$(VENV)/.installed"
    )
    dev = _recipe_lines("$(VENV)/.installed-dev")
    assert "$(PIP) install --quiet --require-hashes -r requirements-dev.txt" in dev
    # No install step takes anything outside the lock (an unpinned `pip install --upgrade pip`).
    makefile = (ROOT / "Makefile").read_text()
    installs = re.findall(r"\$\(PIP\) install .*", makefile)
    assert installs and all("--require-hashes -r requirements" in line for line in installs), installs


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(path: Path) -> dict[str, list[str]]:
    """name -> hashes of every requirement in a pip-compile lock file."""
    text = path.read_text().replace("\\\n", " ")
    locked = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", " ")):
            assert re.match(r"^[A-Za-z0-9_.\-]+==[^\s;]+(\s*;[^-]*)?\s+--hash=sha256:", line), line
            locked[_normalized(re.split(r"[=\s]", line, maxsplit=1)[0])] = re.findall(
                r"--hash=sha256:(\w{64})", line
            )
    return locked


def test_every_python_dependency_is_pinned_with_hashes_in_the_lock_files():
    runtime, dev = _locked(ROOT / "requirements.txt"), _locked(ROOT / "requirements-dev.txt")
    assert {"django", "celery", "kombu", "pip"} <= set(runtime)  # direct, transitive, installer
    assert {"pytest", "schemathesis"} <= set(dev) and set(runtime) <= set(dev)
    for name, hashes in {**runtime, **dev}.items():
        assert hashes, f"{name} has no hash"
    # The direct pins of the .in files are what the locks hold, and both locks agree.
    for source, lock in (
        ("requirements.in", "requirements.txt"),
        ("requirements-dev.in", "requirements-dev.txt"),
    ):
        versions = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / lock).read_text(), re.M))
        versions = {_normalized(name): version for name, version in versions.items()}
        pins = re.findall(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", (ROOT / source).read_text(), re.M)
        assert pins
        for name, version in pins:
            assert versions.get(_normalized(name)) == version, (source, name, version)
    for name in runtime:
        assert runtime[name] == dev[name], name


def test_dockerfile_installs_the_browser_with_the_script_ci_runs():
    assert "scripts/install-browser.sh" in (ROOT / ".ci" / "run").read_text()
    assert "RUN scripts/install-browser.sh" in _run_lines(DOCKERFILE.read_text())


def test_dockerfile_collects_static_files_like_make_run():
    make_run = next(line for line in _recipe_lines("static") if "collectstatic" in line)
    command = make_run.replace("$(PY) ", "")
    assert command in _run_lines(DOCKERFILE.read_text())


def test_image_runs_as_a_non_root_user_with_a_health_check_and_one_entrypoint():
    dockerfile = _run_lines(DOCKERFILE.read_text())
    assert "useradd --uid" in dockerfile and "YESAPP_RUN_AS=yesapp" in dockerfile
    assert 'ENTRYPOINT ["tini", "--", "docker/entrypoint.sh"]' in dockerfile
    assert re.search(r'^HEALTHCHECK .*CMD \["docker/healthcheck.sh"\]$', dockerfile, re.M)
    entrypoint = ENTRYPOINT.read_text()
    assert 'exec setpriv --reuid="$YESAPP_RUN_AS"' in entrypoint
    # /health is what the image's health check asks the web role.
    assert '"http://127.0.0.1:%s/health"' in (ROOT / "docker" / "healthcheck.sh").read_text()


def test_the_data_volume_and_every_role_are_private_to_the_app_user():
    # The image's data directory is made 0700 for the app user; the processes keep what they
    # write in it private (umask 077 in serve.sh and in the settings every process loads).
    assert "install -d -m 0700 -o yesapp -g yesapp /app/data" in _run_lines(DOCKERFILE.read_text())
    assert re.search(r"^umask 077$", SERVE.read_text(), re.M)


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".venv", "node_modules", "data", ".env"):
        assert entry in ignored


# --- One command line per role: Procfile, entrypoint and image share scripts/serve.sh -------


def test_procfile_runs_each_role_through_serve_sh():
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    assert lines == [f"{role}: scripts/serve.sh {role}" for role in ROLES]


def test_entrypoint_runs_the_makefiles_bootstrap_steps_then_serve_sh():
    entrypoint = ENTRYPOINT.read_text()
    migrate = next(line for line in _recipe_lines("migrate") if "manage.py" in line)
    bootstrap = next(line for line in _recipe_lines("bootstrap") if "manage.py" in line)
    for step in (migrate, bootstrap):
        assert step.replace("$(PY)", '"$PY"') in entrypoint
    assert "exec scripts/serve.sh web" in entrypoint
    assert 'exec scripts/serve.sh "$role"' in entrypoint


def test_engine_command_uses_the_threads_pool_and_the_engine_queue():
    command = _serve("engine")
    assert re.search(r"celery -A yesapp worker -n engine@%h -Q engine -P threads", command)
    assert "-Q default,webhooks" in _serve("worker") and "-P threads" not in _serve("worker")
    assert re.search(r"celery -A yesapp beat .*-s \S+/celerybeat-schedule$", _serve("beat"))


def test_web_command_follows_port_and_the_web_workers_setting():
    assert "--bind 0.0.0.0:8123 --workers 3 " in _serve("web", PORT="8123", WEB_WORKERS="3")


def test_every_role_sees_the_web_port_under_honcho():
    # honcho gives the Procfile's second process PORT=3100; the Makefile exports SERVE_PORT.
    assert "--bind 0.0.0.0:3000 " in _serve("web", PORT="3100", SERVE_PORT="3000")


def test_serve_sh_refuses_an_unknown_role():
    result = subprocess.run([str(SERVE), "nope"], capture_output=True, text=True, timeout=10)
    assert result.returncode == 2 and "usage" in result.stderr


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            with contextlib.suppress(OSError):
                children = [int(child) for child in (task / "children").read_text().split()]
                found.extend(children)
                todo.extend(children)
    return found


def _celery_pid(serve: subprocess.Popen) -> int | None:
    for pid in _descendants(serve.pid):
        with contextlib.suppress(OSError):
            if b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
    return None


def _answers_ping(name: str) -> bool:
    from yesapp.celery import app

    return any(name in list(reply)[0] for reply in app.control.ping(timeout=0.5) or [])


@pytest.mark.slow
def test_under_make_run_a_worker_that_exits_on_its_own_is_started_again_and_a_stop_is_final(
    transactional_db, tmp_path
):
    # The Makefile's run recipe sets SERVE_RESTART=1: honcho stops every process when one exits.
    assert "SERVE_RESTART=1" in "\n".join(_recipe_lines("serve"))
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [str(SERVE), "worker"],
        env=child_env(SERVE_RESTART="1"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as honcho starts it: a process group of its own
    )
    try:
        name = f"worker@{socket.gethostname()}"
        wait_for(lambda: _celery_pid(serve) and _answers_ping(name), 60, what="the worker up")
        first = _celery_pid(serve)
        os.kill(first, signal.SIGKILL)  # as kombu's "Unrecoverable error" would end it
        wait_for(lambda: _celery_pid(serve) not in (None, first), 30, what="a new worker")
        wait_for(lambda: _answers_ping(name), 60, what="the new worker answering")
        assert b"worker exited with status 137; starting it again" in (tmp_path / "serve.log").read_bytes()

        os.killpg(serve.pid, signal.SIGTERM)  # honcho's stop: the whole group
        assert serve.wait(60) == 0, "a warm shutdown, not a crash"
        assert not _descendants(serve.pid)
        assert not any(_answers_ping(name) for _ in range(3))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait(10)


# --- The entrypoint, rehearsed outside a container -------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_entrypoint_web_migrates_prints_the_key_and_serves_then_engine_makes_it_ready(tmp_path):
    port = _free_port()
    env = {
        **_clean_environ(),
        "DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": settings.REDIS_URL,
        "PORT": str(port),
        "WEB_WORKERS": "1",
        "YESAPP_RUN_AS": "",  # no user switch outside the image
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)  # the default: SQLite in DATA_DIR, made by the entrypoint
    logs = {role: (tmp_path / f"{role}.out").open("w") for role in ("web", "engine")}
    procs: list[subprocess.Popen] = []
    try:
        procs.append(
            subprocess.Popen(
                [str(ENTRYPOINT), "web"],
                env=env,
                stdout=logs["web"],
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + 120
        health = None
        while time.monotonic() < deadline and procs[0].poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            # A busy machine: the first answer (gunicorn loading Django) can take a few seconds.
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.5)
        out = (tmp_path / "web.out").read_text()
        assert health is not None and health.status_code == 200, out
        assert (tmp_path / "data" / "yesapp.sqlite3").exists()
        assert re.search(r"API Key: [0-9a-f]{64}", out), out
        assert subprocess.run(["docker/healthcheck.sh", "web"], cwd=ROOT, env=env, timeout=30).returncode == 0
        # Without an engine the server is up but not ready.
        assert requests.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 503

        procs.append(
            subprocess.Popen(
                [str(ENTRYPOINT), "engine"],
                env=env,
                stdout=logs["engine"],
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + 90
        ready = None
        while time.monotonic() < deadline and procs[1].poll() is None:
            ready = requests.get(f"http://127.0.0.1:{port}/ready", timeout=5)
            if ready.status_code == 200:
                break
            time.sleep(1)
        assert ready is not None and ready.status_code == 200, (tmp_path / "engine.out").read_text()
        healthcheck = subprocess.run(["docker/healthcheck.sh", "engine"], cwd=ROOT, env=env, timeout=30)
        assert healthcheck.returncode == 0
    finally:
        for proc in reversed(procs):
            stop_process_group(proc)
        for log in logs.values():
            log.close()


@pytest.mark.slow
def test_ctrl_c_stops_make_run_without_an_error_from_make(tmp_path):
    """Ctrl-C reaches make, the recipe's shell and honcho (one process group); honcho then exits
    with 130, which make used to report as `make: *** [Makefile: run] Error 130`."""
    started = tmp_path / "started"
    honcho = tmp_path / "honcho"
    honcho.write_text(
        "#!/usr/bin/env python3\n"
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *_: sys.exit(130))  # what honcho does on Ctrl-C\n"
        f"pathlib.Path({str(started)!r}).write_text('1')\n"
        "time.sleep(60)\n"
    )
    honcho.chmod(0o755)
    make = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"HONCHO={honcho}"],
        cwd=ROOT,
        env=_clean_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal's foreground process group, for the Ctrl-C
    )
    deadline = time.monotonic() + 30
    while not started.exists():
        assert make.poll() is None and time.monotonic() < deadline, make.communicate()
        time.sleep(0.05)
    os.killpg(make.pid, signal.SIGINT)
    out, err = make.communicate(timeout=30)
    assert "Error" not in err and "***" not in err, err
    assert "YesApp stopped." in out


@pytest.mark.skipif(os.geteuid() != 0, reason="Celery's warning is about running as root")
def test_a_celery_role_run_as_root_says_why_celerys_root_warning_is_safe_to_ignore(tmp_path):
    from django.conf import settings

    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    for name, body in (("python", "exit 0"), ("celery", 'echo "celery $*"')):
        (venv / name).write_text(f"#!/bin/sh\n{body}\n")
        (venv / name).chmod(0o755)
    env = {**_clean_environ(), "VENV": str(venv.parent)}
    env.pop("SERVE_RESTART", None)
    result = subprocess.run([str(SERVE), "beat"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("celery -A yesapp beat"), result
    assert "runs as root" in result.stderr and "only JSON" in result.stderr
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]  # what the note promises
    web = subprocess.run(
        [str(SERVE), "web"], env={**env, "SERVE_DRY_RUN": "1"}, capture_output=True, text=True, timeout=30
    )
    assert "root" not in web.stderr
