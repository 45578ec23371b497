"""File storage benchmark: writing a media file and streaming it back through
yesapp.file_storage, on the local disk and on an S3 server, with the Python memory a stream
holds at its peak (the download endpoint hands the same stream to FileResponse).

The S3 side runs against moto's S3 emulator in server mode on loopback (no real S3 server is
reachable here), so its times say what YesApp's own code costs on top of the network, not what
AWS or MinIO would take; the memory figure holds on any server.

    python -m bench.file_storage_bench                  # 8 files of 16 MiB each way
    python -m bench.file_storage_bench --files 4 --mib 64
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import requests

from bench.harness import emit, free_port, percentiles

CHUNK = 64 * 1024


def _moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{url}/moto-api/", timeout=2)
            return proc, url
        except requests.RequestException:
            if time.monotonic() > deadline:
                proc.kill()
                sys.exit("moto server did not start")
            time.sleep(0.2)


def _measure(files: int, size: int) -> dict:
    from yesapp.file_storage import file_delete, file_save, file_stream

    data = os.urandom(size)
    writes, reads, peaks = [], [], []
    for n in range(files):
        name = f"bench-{n}.bin"
        started = time.perf_counter()
        file_save(name, data)
        writes.append(time.perf_counter() - started)
        tracemalloc.start()
        started = time.perf_counter()
        stream, length = file_stream(name)
        got = 0
        while chunk := stream.read(CHUNK):
            got += len(chunk)
        stream.close()
        reads.append(time.perf_counter() - started)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert got == length == size
        file_delete(name)
    mib = size / 2**20
    return {
        "write": percentiles(writes),
        "stream": percentiles(reads),
        "stream_mib_per_s_median": round(mib / statistics.median(reads), 1),
        "stream_peak_python_kib_max": round(max(peaks) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--mib", type=int, default=16)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="file-storage-bench-")
    os.environ.update(DATA_DIR=tmp, DJANGO_SETTINGS_MODULE="yesapp.settings")
    import boto3
    import django

    django.setup()
    import environ
    from django.test.utils import override_settings

    from yesapp.settings_storage import storages_settings

    size = args.mib * 2**20
    result = {"files": args.files, "file_mib": args.mib, "filesystem": _measure(args.files, size)}
    proc, url = _moto()
    try:
        s3 = {"FILE_STORAGE": "s3", "S3_BUCKET": "bench", "S3_ENDPOINT_URL": url, "S3_REGION": "us-east-1",
              "S3_ACCESS_KEY_ID": "bench", "S3_SECRET_ACCESS_KEY": "bench",
              "S3_ADDRESSING_STYLE": "path"}  # fmt: skip
        os.environ.update(s3)
        boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket="bench")  # fmt: skip
        with override_settings(STORAGES=storages_settings(environ.Env())[1]):
            result["s3_moto_emulator"] = _measure(args.files, size)
    finally:
        proc.kill()
        proc.wait(10)
    emit(result, "file_storage")


if __name__ == "__main__":
    main()
