"""`make bench`: runs every benchmark, one after the other, then prints a summary table.

Each benchmark writes bench/results/<name>.json itself; this collects them. Run one alone
with `python -m bench.<name>_bench --help` for its knobs.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
BENCHMARKS = (
    "sessions", "messaging", "pacing", "webhooks", "api", "web", "stream", "dashboard", "file_storage",
    "soak", "failover",
)  # fmt: skip


def flatten(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(value, list):
        out = {}
        for i, inner in enumerate(value):
            out.update(flatten(inner, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        started = time.monotonic()
        print(f"== {name} ==", flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}_bench"])
        print(f"== {name}: exit {code} in {time.monotonic() - started:.0f}s ==", flush=True)
        if code:
            failed.append(name)
    print("\nSummary")
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        for key, value in flatten(json.loads(path.read_text())).items():
            if key.startswith("series"):  # the soak's samples: in its JSON, not the summary
                continue
            print(f"  {name:10} {key:60} {value}")
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
