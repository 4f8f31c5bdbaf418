#!/usr/bin/env bash
# Installs docker-ipv6 as a docker CLI plugin: builds it when needed, then `docker-ipv6 install`.
# Usage: scripts/install.sh [--user] [--enable]      Uninstall: scripts/install.sh --uninstall [--user]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x dist/docker-ipv6 ]; then
  [ -d node_modules ] || npm ci
  npm run build
fi
if [ "${1:-}" = "--uninstall" ]; then
  shift
  exec node dist/docker-ipv6 uninstall "$@"
fi
exec node dist/docker-ipv6 install "$@"
