#!/usr/bin/env bash
# Installs wrk, the HTTP load tool bench/api_bench.py drives, when it is missing. Python
# client threads on a 2-core machine were themselves the bottleneck; wrk is not.
set -euo pipefail
if command -v wrk >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
echo "Installing wrk from Debian's packages..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
