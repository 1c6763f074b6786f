#!/usr/bin/env bash
# up.sh — bring up Greenlight's test bed on one Debian 12 machine, as root. Idempotent.
#
# What it provides (each piece is reused when it already answers, started otherwise):
#   * a host Docker engine on /var/run/docker.sock (an already running one is reused as is; ours runs
#     with --bridge=none and no iptables, so containers use --network host and no 172.17 address exists)
#   * network namespace greenlight-prod, veth pair host 198.18.77.1 <-> prod 198.18.77.2 (/30), and an
#     "unreachable 198.18.77.0/24" guard route so test traffic can never leave through the default route
#   * user greenlight-deploy (key-only SSH login; owns /var/backups/greenlight; group of the prod socket)
#   * the "production host" inside the netns: sshd (pinned ed25519 host key, SetEnv DOCKER_HOST + PG*),
#     its own dockerd (own data-root/exec-root/socket; real bridge networking: --bip 198.18.96.1/24, user
#     networks from the pool 198.18.80.0/20, published ports) and PostgreSQL 15 (app/apppass, database appdb)
#   * a local PostgreSQL 15 for tests on 127.0.0.1:25432 (role app may create databases)
#   * a local registry (Debian docker-registry) on 127.0.0.1:25000
#
# Everything it starts is appended to $ROOT/started.list; down.sh replays that list in reverse and
# stops nothing else. It writes $ROOT/env (shell exports) for scripts and test/integration/testbed.ts.
# When everything already answers, it only checks and returns (well under 3 s) without changing anything.
# Only loopback and the addresses of our own netns are ever used.
set -euo pipefail

ROOT=${GREENLIGHT_TESTBED_ROOT:-/tmp/greenlight-testbed}
NS=greenlight-prod
HOST_IF=glprod-h          # interface names: at most 15 characters
NS_IF=glprod-p
HOST_IP=198.18.77.1       # RFC 2544 benchmarking range: exists only on our veth pair
PROD_IP=198.18.77.2
PREFIX=30
GUARD_NET=198.18.77.0/24
SSH_PORT=22
DEPLOY_USER=greenlight-deploy
PG_PROD_PORT=5432         # inside the netns, so it never collides with the host
PG_TEST_PORT=${GREENLIGHT_TEST_PG_PORT:-25432}
REGISTRY_PORT=${GREENLIGHT_REGISTRY_PORT:-25000}
PG_PASSWORD=apppass
# The prod engine's bridge and user networks: inside 198.18.0.0/15, never 172.16/12, 10/8 or 192.168/16.
PROD_BIP=198.18.96.1/24
PROD_BIP_NET=198.18.96.0/24
PROD_POOL=198.18.80.0/20
BACKUPS_DIR=/var/backups/greenlight
HOST_SOCK=/var/run/docker.sock
PGBIN=/usr/lib/postgresql/15/bin
LIST=$ROOT/started.list
P=$ROOT/prod              # prod engine: socket, data-root, exec-root, pidfile, log

TB_NAME="testbed up"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "must run as root (sudo bash test/testbed/up.sh)"

# ------------------------------------------------------------------------------------------ packages
# Only what is missing, and with services kept from starting: apt would otherwise start a postgres
# "main" cluster on :5432, a registry on :5000 and a second system dockerd.
need=()
command -v file >/dev/null            || need+=(file)
command -v curl >/dev/null            || need+=(curl)
command -v ip >/dev/null && command -v ss >/dev/null || need+=(iproute2)
command -v dockerd >/dev/null          || need+=(docker.io)
[ -x /usr/sbin/sshd ]                  || need+=(openssh-server)
[ -x "$PGBIN/initdb" ]                 || need+=(postgresql-15)
command -v docker-registry >/dev/null  || need+=(docker-registry)
bb=$(command -v busybox || true)
{ [ -n "$bb" ] && command -v file >/dev/null && file -L "$bb" | grep -q 'statically linked'; } || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# greenlight test bed: no service starts during apt-get install\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common; echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
  fi
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${need[@]}" >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  log "packages installed"
fi
command -v docker >/dev/null || die "no docker CLI on PATH (docker.io provides /usr/bin/docker)"

mkdir -p "$ROOT"; chmod 755 "$ROOT"
# One bring-up at a time (several engineers and CI may call this together). Daemons started below
# get '9>&-' so they never inherit (and hold) the lock.
exec 9>"$ROOT/.lock"
flock -w 900 9 || die "another up.sh/down.sh holds $ROOT/.lock"
T0=$(date +%s%N)   # time the bring-up itself, not the wait for the lock

# --------------------------------------------------------------------------------- health checks
host_docker_ok()  { timeout 10 docker -H "unix://$HOST_SOCK" info >/dev/null 2>&1; }
prod_docker_ok()  { timeout 10 docker -H "unix://$P/docker.sock" version >/dev/null 2>&1; }
# The prod engine has real bridge networking (user networks, aliases, -p); an engine started by an
# earlier up.sh with --bridge=none is stopped and started again with the current options.
prod_docker_bridged() { timeout 10 docker -H "unix://$P/docker.sock" network inspect bridge --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' 2>/dev/null | grep -qF "$PROD_BIP_NET"; }
# The route checks read all of ip's output ("grep -q" stops at the first match, and with pipefail the
# writer's SIGPIPE then fails a check that matched, once the swarm test bed adds its routes).
netns_ok()        { [ -e "/run/netns/$NS" ] && [ "$(cat /sys/class/net/$HOST_IF/operstate 2>/dev/null)" = up ] &&
                    ip -4 -o addr show dev "$HOST_IF" | grep >/dev/null -F " $HOST_IP/$PREFIX " &&
                    ip netns exec "$NS" ip -4 -o addr show dev "$NS_IF" 2>/dev/null | grep >/dev/null -F " $PROD_IP/$PREFIX " &&
                    ip route show type unreachable | grep >/dev/null -F "$GUARD_NET" &&
                    ip route show type unreachable | grep >/dev/null -F "$PROD_POOL"; }
SSH=(ssh -F "$ROOT/ssh/config" prod)
# Over SSH, as the deploy user: the docker CLI is on PATH and reaches the prod engine through DOCKER_HOST.
ssh_ok()          { timeout 15 "${SSH[@]}" 'docker version --format "{{.Server.Version}}"' >/dev/null 2>&1; }
pg_ok()           { timeout 5 "$PGBIN/pg_isready" -q -h "$1" -p "$2"; }
prod_pg_ok()      { pg_ok "$PROD_IP" "$PG_PROD_PORT"; }
# Who may connect to the prod PostgreSQL: the host side of the veth, the netns itself, and the
# prod engine's container networks.
PROD_PG_CLIENTS=("$HOST_IP/32" "$PROD_IP/32" "$PROD_POOL" "$PROD_BIP_NET")
prod_pg_hba_ok()  { local c; for c in "${PROD_PG_CLIENTS[@]}"; do grep -qF "host all all $c scram-sha-256" "$ROOT/pg-prod/data/pg_hba.conf" 2>/dev/null || return 1; done; }
test_pg_ok()      { pg_ok 127.0.0.1 "$PG_TEST_PORT"; }
registry_ok()     { curl -fsS -m 3 "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1; }
port_busy()       { ss -Hltn "sport = :$1" | grep -q .; }

env_text() {
  local hk; hk=$(cut -d' ' -f1,2 "$ROOT/ssh/ssh_host_ed25519_key.pub")
  cat <<EOF
# generated by test/testbed/up.sh; source it (or read it with test/integration/testbed.ts)
export TESTBED_ROOT=$ROOT
export PROD_NETNS=$NS
export HOST_IP=$HOST_IP
export PROD_IP=$PROD_IP
export PROD_SSH_HOST=$PROD_IP
export PROD_SSH_PORT=$SSH_PORT
export PROD_SSH_USER=$DEPLOY_USER
export PROD_SSH_KEY=$ROOT/ssh/id_ed25519
export PROD_SSH_KNOWN_HOSTS=$ROOT/ssh/known_hosts
export PROD_SSH_HOST_KEY='$hk'
export PROD_SSH_CONFIG=$ROOT/ssh/config
export PROD_DOCKER_SOCK=$P/docker.sock
export PROD_DOCKER_HOST=ssh://$DEPLOY_USER@$PROD_IP:$SSH_PORT
export PROD_BACKUPS_DIR=$BACKUPS_DIR
export PROD_DATABASE_URL=postgres://app:$PG_PASSWORD@$PROD_IP:$PG_PROD_PORT/appdb
export PROD_DATABASE_URL_INSIDE=postgres://app:$PG_PASSWORD@127.0.0.1:$PG_PROD_PORT/appdb
export TEST_DATABASE_URL=postgres://app:$PG_PASSWORD@127.0.0.1:$PG_TEST_PORT/appdb
export REGISTRY=127.0.0.1:$REGISTRY_PORT
export HOST_DOCKER_SOCK=$HOST_SOCK
EOF
}

all_ok() {
  [ -s "$ROOT/env" ] && [ -s "$ROOT/ssh/ssh_host_ed25519_key.pub" ] && id "$DEPLOY_USER" >/dev/null 2>&1 &&
  [ "$(stat -c %U "$BACKUPS_DIR" 2>/dev/null)" = "$DEPLOY_USER" ] &&
  host_docker_ok && netns_ok && prod_docker_ok && prod_docker_bridged && ssh_ok && prod_pg_ok && prod_pg_hba_ok && test_pg_ok && registry_ok &&
  [ "$(env_text)" = "$(cat "$ROOT/env")" ]
}
if all_ok; then log "already up and healthy: nothing changed (source $ROOT/env)"; exit 0; fi

# ------------------------------------------------------------------------------ host Docker engine
if host_docker_ok; then
  log "host docker: reusing the engine answering on $HOST_SOCK"
else
  D=$ROOT/host-docker; mkdir -p "$D"
  pid=$(cat "$D/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = dockerd ]; then
    log "host docker: our dockerd (pid $pid) is running but not answering yet; waiting"
  else
    [ -S "$HOST_SOCK" ] && ! host_docker_ok && rm -f "$HOST_SOCK"   # stale socket of a dead engine
    log "host docker: starting dockerd (pidfile $D/dockerd.pid, log $D/dockerd.log)"
    (cd / && exec setsid dockerd --pidfile "$D/dockerd.pid" -H "unix://$HOST_SOCK" \
        --bridge=none --iptables=false --ip-masq=false --ip-forward=false --userland-proxy=false \
        --log-level=warn) </dev/null >"$D/dockerd.log" 2>&1 9>&- &
  fi
  rec "dockerd $D/dockerd.pid host"
  wait_for 600 host_docker_ok || { tail -20 "$D/dockerd.log" >&2; die "host dockerd did not answer within 60 s"; }
  log "host docker: up on $HOST_SOCK"
fi

# ---------------------------------------------------------------------- network namespace + veth
if ! netns_ok; then
  [ -e "/run/netns/$NS" ] || { ip netns add "$NS"; }
  rec "netns $NS"
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip netns exec "$NS" ip link del "$NS_IF" 2>/dev/null || true
    ip link add "$HOST_IF" type veth peer name "$NS_IF"
    ip link set "$NS_IF" netns "$NS"
  fi
  rec "link $HOST_IF"
  ip addr replace "$HOST_IP/$PREFIX" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip netns exec "$NS" ip link set lo up
  ip netns exec "$NS" ip addr replace "$PROD_IP/$PREFIX" dev "$NS_IF"
  ip netns exec "$NS" ip link set "$NS_IF" up
  ip route show type unreachable | grep >/dev/null -F "$GUARD_NET" || ip route add unreachable "$GUARD_NET"
  rec "route unreachable $GUARD_NET"
  # The prod engine's container networks exist only inside the netns: from the host, traffic to
  # them must fail at once rather than follow the default route out.
  for g in $PROD_POOL $PROD_BIP_NET; do
    ip route show type unreachable | grep >/dev/null -F "$g" || ip route add unreachable "$g"
    rec "route unreachable $g"
  done
  wait_for 50 netns_ok || die "netns $NS: link $HOST_IF did not come up"
  log "netns $NS: host $HOST_IP <-> prod $PROD_IP"
fi

# ------------------------------------------------------------------------- deploy user and keys
mkdir -p "$ROOT/ssh" "$ROOT/sshd" "$ROOT/home"; chmod 755 "$ROOT/home"
fresh_user=0
if ! id "$DEPLOY_USER" >/dev/null 2>&1; then
  useradd -M -d "$ROOT/home/$DEPLOY_USER" -s /bin/bash -U "$DEPLOY_USER"; fresh_user=1
  log "user $DEPLOY_USER created"
fi
rec "user $DEPLOY_USER"
# sshd without PAM refuses "locked" accounts ('!' from useradd); '*' = no password, not locked.
[ "$(getent shadow "$DEPLOY_USER" | cut -d: -f2)" = '*' ] || usermod -p '*' "$DEPLOY_USER"
HOMEDIR=$(getent passwd "$DEPLOY_USER" | cut -d: -f6)
# Keys survive down.sh (only PURGE=1 deletes them), so the pinned host key stays the same across runs.
[ -s "$ROOT/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C greenlight-testbed-client -f "$ROOT/ssh/id_ed25519"
[ -s "$ROOT/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C greenlight-prod-host -f "$ROOT/ssh/ssh_host_ed25519_key"
install -d -m 755 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$HOMEDIR"
install -d -m 700 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$HOMEDIR/.ssh"
install -m 600 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$ROOT/ssh/id_ed25519.pub" "$HOMEDIR/.ssh/authorized_keys"
echo "$PROD_IP $(cut -d' ' -f1,2 "$ROOT/ssh/ssh_host_ed25519_key.pub")" > "$ROOT/ssh/known_hosts"
# No ControlMaster: a persistent master outlives the caller and keeps its stdout pipe open.
cat > "$ROOT/ssh/config" <<EOF
Host prod
  HostName $PROD_IP
  Port $SSH_PORT
  User $DEPLOY_USER
  IdentityFile $ROOT/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $ROOT/ssh/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  LogLevel ERROR
EOF
# The deploy user writes database backups here on the "production host" (a directory of this machine).
install -d -m 750 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$BACKUPS_DIR"
# A re-created user may get another uid: hand it back what the previous one owned (its home, the backups).
[ "$fresh_user" = 1 ] && chown -R "$DEPLOY_USER:$DEPLOY_USER" "$BACKUPS_DIR" "$HOMEDIR"

# ------------------------------------------------------------------ prod dockerd (inside the netns)
if prod_docker_ok && ! prod_docker_bridged; then
  pid=$(cat "$P/dockerd.pid" 2>/dev/null || true)
  log "prod docker: running without bridge networking (pid $pid); restarting it with $PROD_BIP and pool $PROD_POOL"
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  for _ in $(seq 300); do [ -n "$pid" ] && [ -e "/proc/$pid" ] || break; sleep 0.1; done
  for m in $(awk -v r="$P/exec" '$2 ~ "^"r {print $2}' /proc/mounts | sort -r); do umount "$m" 2>/dev/null || umount -l "$m"; done
  rm -f "$P/docker.sock"
fi
if ! prod_docker_ok; then
  mkdir -p "$P/data" "$P/exec"; chmod 755 "$P"
  pid=$(cat "$P/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = dockerd ]; then
    log "prod docker: our dockerd (pid $pid) is running but not answering yet; waiting"
  else
    rm -f "$P/docker.sock"
    # Its own identity key (so its engine ID differs from the host engine's, as on a real server);
    # dockerd 20.10 takes the key path only from a config file.
    # Address pools for user networks inside 198.18.0.0/15 (docker's defaults are 172.17/16 and up).
    printf '{ "deprecated-key-path": "%s/key.json", "default-address-pools": [{ "base": "%s", "size": 24 }] }\n' "$P" "$PROD_POOL" > "$P/daemon.json"
    # nsenter --net, NOT 'ip netns exec': the latter remounts /sys, hiding /sys/fs/cgroup, and dockerd
    # then fails with "Devices cgroup isn't mounted". Side effect: dockerd bind-mounts its netns under
    # $P/exec/netns in the host mount namespace; down.sh unmounts it.
    (cd / && exec setsid nsenter --net="/run/netns/$NS" dockerd \
        --config-file "$P/daemon.json" --data-root "$P/data" --exec-root "$P/exec" --pidfile "$P/dockerd.pid" \
        -H "unix://$P/docker.sock" --group "$DEPLOY_USER" --bip "$PROD_BIP" \
        --cgroup-parent=/greenlight-prod --log-level=warn) </dev/null >"$P/dockerd.log" 2>&1 9>&- &
    log "prod docker: starting dockerd in netns $NS"
  fi
  rec "dockerd $P/dockerd.pid prod"
  wait_for 600 prod_docker_ok || { tail -20 "$P/dockerd.log" >&2; die "prod dockerd did not answer within 60 s"; }
  log "prod docker: up on unix://$P/docker.sock"
fi

# ---------------------------------------------------------------------------- sshd (inside the netns)
if ! ssh_ok; then
  mkdir -p /run/sshd; chmod 755 /run/sshd        # privilege-separation directory (systemd makes it normally)
  sshd_config "greenlight test bed: the \"production host\" sshd, inside netns $NS" "$SSH_PORT" "$ROOT" \
    "DOCKER_HOST=unix://$P/docker.sock PGHOST=127.0.0.1 PGPORT=$PG_PROD_PORT PGUSER=app PGPASSWORD=$PG_PASSWORD PGDATABASE=appdb GREENLIGHT_BACKUPS_DIR=$BACKUPS_DIR" \
    "$PROD_IP" 127.0.0.1 > "$ROOT/sshd/sshd_config"
  start_sshd "$ROOT" "$NS"
  [ "$SSHD_STARTED" = 0 ] || log "sshd: started in netns $NS on $PROD_IP:$SSH_PORT"
  rec "sshd $ROOT/sshd/sshd.pid"
  wait_for 100 ssh_ok || { tail -20 "$ROOT/sshd/sshd.log" >&2; die "ssh $DEPLOY_USER@$PROD_IP with docker on PATH failed"; }
  log "sshd: ssh -F $ROOT/ssh/config prod works, docker reaches the prod engine"
fi

# ----------------------------------------------------------------------------------- PostgreSQL 15
# pg_up DIR PORT LISTEN NETNS HBA-CIDRS...: init once (data survives down.sh), start if not answering.
pg_up() {
  local d=$1 port=$2 listen=$3 ns=$4; shift 4
  if [ ! -s "$d/data/PG_VERSION" ]; then
    rm -rf "$d"; install -d -m 755 -o postgres -g postgres "$d" "$d/sock"
    echo "$PG_PASSWORD" > "$d/pwfile"; chown postgres "$d/pwfile"; chmod 600 "$d/pwfile"
    runuser -u postgres -- "$PGBIN/initdb" -D "$d/data" -U postgres --pwfile="$d/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >"$d/initdb.log" 2>&1 ||
      { cat "$d/initdb.log" >&2; die "initdb $d failed"; }
    for cidr in "$@"; do echo "host all all $cidr scram-sha-256" >> "$d/data/pg_hba.conf"; done
    cat >> "$d/data/postgresql.conf" <<EOF
# greenlight test bed: disposable data, so durability is traded for speed
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$d/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
max_connections = 200
EOF
  fi
  local pre=(); [ -n "$ns" ] && pre=(nsenter --net="/run/netns/$ns")
  if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d/data" status >/dev/null 2>&1; then
    "${pre[@]}" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d/data" -l "$d/postgres.log" -w -t 60 start \
      </dev/null >/dev/null 2>&1 9>&- || { tail -20 "$d/postgres.log" >&2; die "postgres $d did not start"; }
  fi
  rec "postgres $d/data"
  # Role and database, idempotently (CREATEDB: tests create throwaway databases).
  runuser -u postgres -- "$PGBIN/psql" -q -X -h "$d/sock" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<EOF
SELECT 'CREATE ROLE app LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') \gexec
ALTER ROLE app LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
SELECT 'CREATE DATABASE appdb OWNER app' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'appdb') \gexec
EOF
}
if ! prod_pg_ok; then
  pg_up "$ROOT/pg-prod" "$PG_PROD_PORT" "127.0.0.1,$PROD_IP" "$NS" "${PROD_PG_CLIENTS[@]}"
  wait_for 100 prod_pg_ok || die "prod postgres does not answer on $PROD_IP:$PG_PROD_PORT"
  log "prod postgres: $PROD_IP:$PG_PROD_PORT (127.0.0.1:$PG_PROD_PORT inside the netns)"
fi
# Containers on the prod engine's networks reach the host's PostgreSQL at $PROD_IP from their own
# addresses; a data directory made by an older up.sh gets those entries added and is reloaded.
if ! prod_pg_hba_ok; then
  for cidr in "${PROD_PG_CLIENTS[@]}"; do
    grep -qF "host all all $cidr scram-sha-256" "$ROOT/pg-prod/data/pg_hba.conf" || echo "host all all $cidr scram-sha-256" >> "$ROOT/pg-prod/data/pg_hba.conf"
  done
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$ROOT/pg-prod/data" reload >/dev/null
  log "prod postgres: accepts the prod engine's container networks ($PROD_POOL, $PROD_BIP_NET)"
fi
if ! test_pg_ok; then
  port_busy "$PG_TEST_PORT" && die "127.0.0.1:$PG_TEST_PORT is taken by another program (set GREENLIGHT_TEST_PG_PORT)"
  pg_up "$ROOT/pg-test" "$PG_TEST_PORT" 127.0.0.1 ""
  wait_for 100 test_pg_ok || die "test postgres does not answer on 127.0.0.1:$PG_TEST_PORT"
  log "test postgres: 127.0.0.1:$PG_TEST_PORT"
fi

# ------------------------------------------------------------------------------------ registry
if ! registry_ok; then
  port_busy "$REGISTRY_PORT" && die "127.0.0.1:$REGISTRY_PORT is taken by another program (set GREENLIGHT_REGISTRY_PORT)"
  R=$ROOT/registry; mkdir -p "$R/data"
  cat > "$R/config.yml" <<EOF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $R/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:$REGISTRY_PORT
EOF
  pid=$(cat "$R/registry.pid" 2>/dev/null || true)
  if [ -z "$pid" ] || [ "$(cat /proc/$pid/comm 2>/dev/null)" != docker-registry ]; then
    # The subshell execs setsid, which execs in place (not a group leader): $! is the registry's pid.
    (cd / && exec setsid docker-registry serve "$R/config.yml") </dev/null >"$R/registry.log" 2>&1 9>&- &
    echo $! > "$R/registry.pid"
  fi
  rec "pidfile $R/registry.pid docker-registry"
  wait_for 100 registry_ok || { tail -20 "$R/registry.log" >&2; die "registry does not answer on 127.0.0.1:$REGISTRY_PORT"; }
  log "registry: 127.0.0.1:$REGISTRY_PORT"
fi

# ----------------------------------------------------------------------------------------- env file
env_text > "$ROOT/env.tmp" && mv "$ROOT/env.tmp" "$ROOT/env"
# A piece just started may need a moment more (seen once on a cold start): poll up to 10 s, then
# name what is still unhealthy.
unhealthy() { local c; for c in host_docker_ok netns_ok prod_docker_ok prod_docker_bridged ssh_ok prod_pg_ok prod_pg_hba_ok test_pg_ok registry_ok; do "$c" >/dev/null 2>&1 || printf '%s ' "$c"; done; }
wait_for 100 all_ok || die "still unhealthy after bring-up: $(unhealthy)(check the logs under $ROOT)"
log "ready: source $ROOT/env"
