"""An S3-compatible server for the FILE_STORAGE=s3 tests.

The package registries offer no real S3 server, so these tests run against an emulator: moto
(PyPI) in server mode, a real HTTP endpoint on a loopback port, started once per test run in
its own process. Every test gets a bucket of its own; the settings and the environment point
at it, so engine workers started by the test (child processes) use the same bucket.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import environ
import pytest
import requests

from yesapp.settings_storage import storages_settings


@dataclass
class S3Bucket:
    """The test's bucket on the emulator, and a client to look inside it."""

    name: str
    prefix: str
    client: object
    env: dict[str, str]

    def names(self) -> list[str]:
        """The object names under the prefix, without it."""
        listed = self.client.list_objects_v2(Bucket=self.name, Prefix=f"{self.prefix}/")
        return sorted(item["Key"].removeprefix(f"{self.prefix}/") for item in listed.get("Contents", []))

    def read(self, name: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=f"{self.prefix}/{name}")["Body"].read()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_emulator(tmp_path_factory) -> Iterator[str]:
    """moto's S3 server on a free loopback port; its URL."""
    port = _free_port()
    log_path = Path(tmp_path_factory.mktemp("moto")) / "moto.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # generous: the machine may be loaded
    while True:
        try:
            requests.get(f"{url}/moto-api/", timeout=2)
            break
        except requests.RequestException:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"moto server did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.fixture
def s3_storage(s3_emulator, settings, monkeypatch) -> S3Bucket:
    """FILE_STORAGE=s3 on a fresh bucket, for this process (settings) and for the child
    processes it starts (the environment they inherit)."""
    bucket = f"yesapp-test-{uuid.uuid4().hex[:12]}"
    env = {
        "FILE_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_emulator,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "test-key",
        "S3_SECRET_ACCESS_KEY": "test-secret",
        "S3_PREFIX": "yesapp",
        "S3_ADDRESSING_STYLE": "path",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.FILE_STORAGE, settings.STORAGES = storages_settings(environ.Env())
    client = boto3.client(
        "s3",
        endpoint_url=s3_emulator,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=bucket)
    return S3Bucket(name=bucket, prefix="yesapp", client=client, env=env)
