#!/usr/bin/env bash
# Prints the path of a minimal Debian root (debootstrap --variant=minbase) as a tarball, made on first use and
# cached under /var/cache/docker-ipv6/debroot keyed by suite and extra packages, so the .deb test
# (test/integration/deb.test.ts) unpacks it in seconds instead of running debootstrap (~1-2 min) each time.
# Usage: scripts/debian-root.sh [SUITE]   (default bookworm; MIRROR overrides the Debian mirror)
set -euo pipefail
suite="${1:-bookworm}"
# libatomic1: the Node.js runtime links it and minbase lacks it (the package Depends on it; dpkg -i does not fetch)
include="libatomic1"
mirror="${MIRROR:-http://deb.debian.org/debian}"
cache=/var/cache/docker-ipv6/debroot
tarball="$cache/$suite-minbase-$(echo "$include" | tr ', ' '__').tar"
if [ ! -s "$tarball" ]; then
  mkdir -p "$cache"
  chmod 0755 /var/cache/docker-ipv6 "$cache"
  work="$(mktemp -d "$cache/.build-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  debootstrap --variant=minbase --include="$include" "$suite" "$work/root" "$mirror" >"$work/log" 2>&1 || { tail -20 "$work/log" >&2; exit 1; }
  tar -C "$work/root" -cf "$work/root.tar" .
  mv "$work/root.tar" "$tarball"
fi
echo "$tarball"
