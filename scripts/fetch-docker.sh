#!/bin/sh
# Fetches dockerd 26.x (Debian trixie) and 28.x (Debian sid) into a cache for the lab, without
# touching this machine's own apt state: a throwaway sources file, lists and cache in a temp dir.
# Docker 29 is not in Debian: "29" unpacks the lab's tarball (dockerd, docker-proxy, runc 1.3.6) from
# DOCKER_IPV6_DOCKER29 after checking it against the SHA256SUMS beside it; nothing is downloaded.
#
# usage: scripts/fetch-docker.sh [VERSION|SUITE...]   (default: trixie sid 29)
#   VERSION is what `docker ipv6 lab up --docker` takes: 20 (Debian 12's own docker.io, checked, never
#   fetched), 26 (from trixie), 28 (from sid), 29 (the lab's tarball); SUITE a Debian suite name.
# env:   DOCKER_IPV6_CACHE   cache folder (default /var/cache/docker-ipv6)
#        DOCKER_IPV6_MIRROR  Debian mirror URL (default: the one this machine's apt sources use)
#        DOCKER_IPV6_DOCKER29  folder with docker-29.*-linux-amd64.tar.xz and SHA256SUMS
#                              (default /work/shared/docker-29, else ../shared/docker-29 beside the repo)
# Prints one line per argument: "<argument> <version> <bin dirs separated by :>".
set -eu

cache="${DOCKER_IPV6_CACHE:-/var/cache/docker-ipv6}"
[ "$#" -gt 0 ] || set -- trixie sid 29

# The Debian mirror this machine already uses: the URI of the first active source whose suite is
# the running release (not its -security/-updates pockets), from deb822 or one-line files.
find_mirror() {
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sources)
        awk -v want="$codename" '
          function flush() { if (uri != "" && enabled && suites ~ ("(^| )" want "( |$)")) { print uri; found = 1; exit } uri = ""; suites = ""; enabled = 1 }
          BEGIN { enabled = 1 }
          /^[ \t]*$/ { flush(); next }
          /^URIs:/ { uri = $2 }
          /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
          /^Enabled:[ \t]*no/ { enabled = 0 }
          END { if (!found) flush() }' "$f" ;;
      *)
        awk -v want="$codename" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == want) { print $i; exit } }' "$f" ;;
    esac
  done | head -n 1
}

mirror="${DOCKER_IPV6_MIRROR:-$(find_mirror)}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

fetch_suite() {
  suite="$1"
  want="${2:-}"
  dest="$cache/docker-$suite"
  if ! [ -x "$dest/usr/sbin/dockerd" ]; then
    if [ -z "$mirror" ]; then
      echo "fetch-docker: cannot find a Debian mirror in /etc/apt/sources.list(.d); set DOCKER_IPV6_MIRROR" >&2
      exit 1
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"
    printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite" >"$tmp/sources.list"
    set -- -q -oDir::State::Lists="$tmp/lists" -oDir::Cache="$tmp/cache" \
      -oDir::Etc::SourceList="$tmp/sources.list" -oDir::Etc::SourceParts=/dev/null \
      -oDir::Etc::Preferences=/dev/null -oDir::Etc::PreferencesParts=/dev/null \
      -oAPT::Get::List-Cleanup=false -oAPT::Sandbox::User=root
    echo "fetch-docker: docker.io from $mirror $suite" >&2
    apt-get "$@" update >&2
    (cd "$tmp/deb" && apt-get "$@" download docker.io >&2)
    mkdir -p "$cache"
    rm -rf "$dest.partial"
    dpkg -x "$tmp"/deb/docker.io_*.deb "$dest.partial"
    # rename last, so an interrupted run never leaves a folder that looks complete
    rm -rf "$dest"
    mv "$dest.partial" "$dest"
    rm -rf "$tmp"
    trap - EXIT
  fi
  version=$("$dest/usr/sbin/dockerd" --version | sed -n 's/^Docker version \([^,]*\),.*/\1/p')
  if [ -z "$version" ]; then
    echo "fetch-docker: $dest/usr/sbin/dockerd does not run on this machine" >&2
    exit 1
  fi
  # a suite moves on (sid will carry 29 one day): a version asked for must be the one fetched
  if [ -n "$want" ]; then
    case "$version" in
      "$want".*) ;;
      *) echo "fetch-docker: Debian $suite carries docker.io $version now, not $want.x; remove $dest and point src/lab/versions.ts and this script at a suite that has $want" >&2
         exit 1 ;;
    esac
  fi
  echo "${want:-$suite} $version $dest/usr/sbin:$dest/usr/bin"
}

# Docker 20.10 is Debian 12's own docker.io: installed with apt (CI does), never fetched here.
system_20() {
  d=$(command -v dockerd || true)
  [ -n "$d" ] || [ ! -x /usr/sbin/dockerd ] || d=/usr/sbin/dockerd
  if [ -z "$d" ]; then
    echo "fetch-docker: Docker 20.10 is Debian 12's docker.io: apt-get install docker.io iptables busybox-static" >&2
    exit 1
  fi
  version=$("$d" --version | sed -n 's/^Docker version \([^,]*\),.*/\1/p')
  case "$version" in 20.*) ;; *)
    echo "fetch-docker: $d is $version, not 20.10 (lab up --docker 20 takes the system dockerd)" >&2
    exit 1 ;; esac
  echo "20 $version $(dirname "$d")"
}

# Docker 29 from the lab's tarball, verified: the cache holds bin/{dockerd,docker-proxy,runc}.
unpack_29() {
  src="${DOCKER_IPV6_DOCKER29:-}"
  if [ -z "$src" ]; then
    for d in /work/shared/docker-29 "$(dirname "$0")/../../shared/docker-29"; do
      [ -f "$d/SHA256SUMS" ] && { src="$d"; break; }
    done
  fi
  if [ -z "$src" ] || ! [ -f "$src/SHA256SUMS" ]; then
    echo "fetch-docker: Docker 29 tarball not found; set DOCKER_IPV6_DOCKER29 to the folder holding it and SHA256SUMS" >&2
    exit 1
  fi
  tarball=$(cd "$src" && ls docker-29.*-linux-amd64.tar.xz | head -n 1)
  dest="$cache/docker-29"
  sum=$(awk -v f="$tarball" '$2 == f || $2 == "*" f { print $1 }' "$src/SHA256SUMS")
  if ! [ -x "$dest/bin/dockerd" ] || [ "$(cat "$dest/.sha256" 2>/dev/null)" != "$sum" ]; then
    # checked on every unpack, before anything is extracted
    if [ -z "$sum" ] || ! (cd "$src" && printf '%s  %s\n' "$sum" "$tarball" | sha256sum -c --quiet -); then
      echo "fetch-docker: $src/$tarball does not match its SHA256SUMS" >&2
      exit 1
    fi
    mkdir -p "$cache"
    rm -rf "$dest.partial"
    mkdir -p "$dest.partial/bin"
    tar -xJf "$src/$tarball" -C "$dest.partial/bin" --no-same-owner dockerd docker-proxy runc
    chmod 0755 "$dest.partial/bin/dockerd" "$dest.partial/bin/docker-proxy" "$dest.partial/bin/runc"
    echo "$sum" >"$dest.partial/.sha256"
    rm -rf "$dest"
    mv "$dest.partial" "$dest"
  fi
  version=$("$dest/bin/dockerd" --version | sed -n 's/^Docker version \([^,]*\),.*/\1/p')
  if [ -z "$version" ]; then
    echo "fetch-docker: $dest/bin/dockerd does not run on this machine" >&2
    exit 1
  fi
  echo "29 $version $dest/bin"
}

# the versions `lab up --docker` takes, and the Debian suite each comes from (src/lab/versions.ts CACHED_SUITES)
for s in "$@"; do
  case "$s" in
    20) system_20 ;;
    26) fetch_suite trixie 26 ;;
    28) fetch_suite sid 28 ;;
    29) unpack_29 ;;
    [0-9]*)
      echo "fetch-docker: no Docker $s for the lab: the versions are 20 (Debian 12's docker.io), 26 (trixie), 28 (sid) and 29 (the lab's tarball)" >&2
      exit 2 ;;
    *) fetch_suite "$s" ;;
  esac
done
