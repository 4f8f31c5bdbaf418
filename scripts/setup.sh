#!/usr/bin/env bash
# Installs what docker-ipv6 and its lab need on Debian 12 (as root): apt packages, Docker 26.x/28.x
# binaries for the lab (never touching the machine's apt sources), npm packages; then builds the plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if ! command -v dockerd >/dev/null || ! command -v ip6tables >/dev/null || ! command -v busybox >/dev/null || ! command -v strip >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io iptables iproute2 busybox-static ca-certificates binutils >/dev/null
fi
if [ "${WITH_DOCKER_VERSIONS:-1}" = 1 ]; then bash scripts/fetch-docker.sh; fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
