#!/usr/bin/env bash
# Installs docker-ipv6 as a docker CLI plugin: copies the one executable (and the systemd units it carries)
# with `docker-ipv6 install`. No Node.js is needed to install; only building from source needs it.
# Usage: scripts/install.sh [--user] [--enable] [--uninstall] [--from FILE]   (flags in any order)
#   FILE: a downloaded docker-ipv6 executable; default: ./docker-ipv6 beside this script's checkout (dist/).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
exe=""
args=()
uninstall=0
while [ $# -gt 0 ]; do
  case "$1" in
    --uninstall) uninstall=1 ;;
    --from) [ $# -ge 2 ] || { echo "install.sh: --from needs a file" >&2; exit 2; }; exe="$2"; shift ;;
    --from=*) exe="${1#--from=}" ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [ -z "$exe" ]; then
  exe="$here/dist/docker-ipv6"
  if [ ! -x "$exe" ] && [ "$uninstall" = 0 ]; then
    command -v npm >/dev/null || { echo "install.sh: no $exe; download the executable and pass --from FILE (building it needs Node.js and npm)" >&2; exit 3; }
    (cd "$here" && { [ -d node_modules ] || npm ci; } && npm run build)
  fi
fi
[ -x "$exe" ] || { echo "install.sh: $exe is not an executable" >&2; exit 3; }
if [ "$uninstall" = 1 ]; then
  exec "$exe" uninstall ${args[@]+"${args[@]}"}
fi
exec "$exe" install --from "$exe" ${args[@]+"${args[@]}"}
