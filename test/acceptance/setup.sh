#!/usr/bin/env bash
# Installs the Debian packages the acceptance suite builds its applications from (Django, gunicorn,
# psycopg2, nginx; caddy for the host's proxy image; pebble, the ACME test server the proxy's automatic certificates are tested against; PostgreSQL 15 comes with the test bed). Only what is missing, with services kept
# from starting: the nginx package would otherwise start a server on :80 of this machine.
# Run as root before `npm test` (.ci/run calls it); idempotent, a no-op when all are there.
set -euo pipefail
log() { echo "[acceptance setup] $*"; }
[ "$(id -u)" = 0 ] || { echo "acceptance setup: ERROR: run as root (apt-get install)" >&2; exit 1; }

need=()
for pkg in python3-django gunicorn python3-psycopg2 nginx caddy pebble; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  log "python3-django, gunicorn, python3-psycopg2, nginx, caddy and pebble are installed"
  exit 0
fi
log "apt-get install ${need[*]}"
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# greenlight acceptance setup: no service starts during apt-get install\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d; made_policy=1
fi
trap 'if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${need[@]}" >/dev/null
log "installed ${need[*]}"
