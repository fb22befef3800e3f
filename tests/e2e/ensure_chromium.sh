#!/usr/bin/env bash
# Make sure Debian's chromium and its chromedriver are installed, for the browser tests
# (tests/e2e/test_html_report_browser.py). Idempotent: does nothing when both are there.
# Called from .ci/run; the browser test also calls it when the binaries are missing.
# Needs root (or passwordless sudo) and an apt source; exits 1 with a reason otherwise.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "ensure_chromium: chromium is missing and installing it needs root" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "ensure_chromium: chromium is missing and there is no apt-get to install it" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
