#!/usr/bin/env bash
# Sets up a fresh machine for gankit: pnpm 10 and the workspace's dependencies (from the npm registry only).
# With --test it also installs what the test suite's independent references need from Debian:
# PyTorch, torchvision, SciPy (reference numbers) and Chromium (rendering check of report.html).
set -euo pipefail
cd "$(dirname "$0")/.."

want_test_deps=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test_deps=1 ;;
    *) echo "setup.sh: unknown option $arg (known: --test)" >&2; exit 2 ;;
  esac
done

if [ "$want_test_deps" = 1 ]; then
  missing=()
  for pkg in python3-torch python3-torchvision python3-scipy python3-numpy chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# corepack cannot verify pnpm's signature through this registry mirror; install pnpm from npm instead.
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" != 10 ]; then
  echo "setup: installing pnpm 10"
  npm install -g --no-audit --no-fund --loglevel=error pnpm@10.34.9
fi

pnpm install --frozen-lockfile
