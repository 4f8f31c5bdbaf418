#!/usr/bin/env bash
# The README's first command: set up, then run the tool's main job on a lab (an isolated network
# namespace with a real dockerd): status, enable (dry run, then for real), a container reaching
# the lab's stand-in internet over IPv6, doctor, disable. The lab is removed at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_DOCKER_VERSIONS=0 bash scripts/setup.sh
TOOL=(dist/docker-ipv6)
LAB="demo-$$"
trap '"${TOOL[@]}" lab down "$LAB" >/dev/null 2>&1 || true' EXIT
step() { printf '\n\033[1m$ docker ipv6 %s\033[0m\n' "$*"; }
in_lab() { "${TOOL[@]}" lab exec "$LAB" -- "$@"; }

"${TOOL[@]}" lab up "$LAB" --daemon-json '{"log-level": "warn"}'
step status;               in_lab docker ipv6 status
step enable --dry-run;     in_lab docker ipv6 enable --dry-run
step enable --yes;         in_lab docker ipv6 enable --yes
step status;               in_lab docker ipv6 status
printf '\n\033[1m$ docker run --rm local/busybox:1 ping6 -c1 2001:db8:ffff::100   # the lab'"'"'s stand-in internet host\033[0m\n'
in_lab docker network create --ipv6 demo-net >/dev/null
in_lab docker run --rm --network demo-net local/busybox:1 sh -c 'ip -6 addr show eth0 | grep global; ping6 -c1 -W3 2001:db8:ffff::100'
in_lab docker network rm demo-net >/dev/null
if "${TOOL[@]}" doctor --help >/dev/null 2>&1; then step doctor; in_lab docker ipv6 doctor || true; fi
step disable --yes;        in_lab docker ipv6 disable --yes
printf '\ndemo done; the lab %s is removed on exit\n' "$LAB"
