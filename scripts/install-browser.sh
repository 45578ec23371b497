#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver when they are missing. The engine needs both;
# Selenium is always given /usr/bin/chromedriver and never downloads a driver of its own.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
DRIVER=${CHROMEDRIVER_PATH:-/usr/bin/chromedriver}
if [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
echo "Installing chromium and chromium-driver from Debian's packages..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
