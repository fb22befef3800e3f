#!/usr/bin/env bash
# Install the benchmark-only peer tools (copydetect, Dolos) into scratch/peers.
# They are never dependencies of CodeGuard Nexus; scratch/ is gitignored.
#   benchmarks/setup_peers.sh [PEERS_DIR]   (default: <repo>/scratch/peers)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
peers="${1:-$repo/scratch/peers}"
mkdir -p "$peers"

# copydetect: its own venv so its pins never touch the project's .venv
if [ ! -x "$peers/venv/bin/copydetect" ]; then
  python3 -m venv "$peers/venv"
  "$peers/venv/bin/pip" install --quiet --upgrade pip
  "$peers/venv/bin/pip" install --quiet "copydetect==0.5.0" psutil
fi
echo "copydetect: $("$peers/venv/bin/pip" show copydetect | grep -i '^version')"

# Dolos: the library, driven by benchmarks/peers/dolos_scan.mjs
if command -v node >/dev/null && command -v npm >/dev/null; then
  mkdir -p "$peers/dolos"
  cd "$peers/dolos"
  [ -f package.json ] || echo '{"name": "dolos-peer", "private": true, "type": "module"}' > package.json
  if [ ! -d node_modules/@dodona/dolos-lib ]; then
    npm install --no-audit --no-fund "@dodona/dolos-lib@3.5.1"
  fi
  # npm >= 11 skips install scripts (the tree-sitter native build) until approved
  if ! ls node_modules/@dodona/dolos-parsers/build/Release/*java*.node >/dev/null 2>&1; then
    if npm install-scripts --help >/dev/null 2>&1; then
      npm install-scripts approve tree-sitter tree-sitter-compat @dodona/dolos-parsers || true
    fi
    npm rebuild
  fi
  echo "dolos-lib: $(node -p "require('./node_modules/@dodona/dolos-lib/package.json').version")"
else
  echo "node/npm not found: Dolos skipped" >&2
fi
