#!/usr/bin/env bash
# swarm-up.sh — bring up Greenlight's three-node Docker Swarm test bed beside the single production
# host of up.sh, as root. Idempotent: when everything answers it only checks and returns.
#
# What it provides:
#   * a Linux bridge glswarm0 (host side 198.18.112.1/24) and three network namespaces, one per node,
#     each joined to the bridge by a veth pair: greenlight-swm (manager, 198.18.112.11),
#     greenlight-sw1 and greenlight-sw2 (workers, .12 and .13); no default route in any of them
#   * one dockerd per node (own data-root, exec-root and socket under $S/<node>; bridge networking with
#     its own --bip and default-address-pools; the cluster registry's address 198.18.112.11:5000
#     marked insecure on every node)
#   * a swarm: init on the manager (--default-addr-pool 198.18.120.0/21), both workers joined
#   * on the manager: an sshd for the deploy user of up.sh (pinned ed25519 host key, SetEnv
#     DOCKER_HOST + PG*) and a PostgreSQL 15 on 198.18.112.11:5432 (app/apppass, database appdb) that
#     the services on the cluster reach
# No registry: Greenlight starts its own on the manager's engine (swarm.registry managed, port 5000,
# image greenlight-test/registry built by registryImage.sh); the nodes trust 198.18.112.11:5000 for it.
# A registry process an earlier version of this script started there is stopped, to free the port.
#
# It needs up.sh's deploy user and client key (run up.sh first; up.sh calls this script at its end).
# Everything it starts is appended to $S/started.list; swarm-down.sh replays that list in reverse.
# It writes $ROOT/swarm.env (shell exports) for test/integration/swarm/swarmbed.ts.
# Addresses: 198.18.97-99.0/24 (the nodes' docker0), 198.18.100.0/22, .104.0/22, .108.0/22 (their local
# pools), 198.18.112.0/24 (node links) and 198.18.120.0/21 (overlay networks); up.sh uses
# 198.18.77.0/24, 198.18.80.0/20 and 198.18.96.0/24.
set -euo pipefail
# (Pipelines into grep read all their input: "grep -q" exits at the first match, and under pipefail
# the writer's SIGPIPE would fail a check that matched.)

ROOT=${GREENLIGHT_TESTBED_ROOT:-/tmp/greenlight-testbed}
S=${GREENLIGHT_SWARM_ROOT:-/tmp/greenlight-swarm}
BR=glswarm0
BR_IP=198.18.112.1
LINK_PREFIX=24
NODES=(m w1 w2)                                   # the manager first
declare -A NS=([m]=greenlight-swm [w1]=greenlight-sw1 [w2]=greenlight-sw2)
declare -A IP=([m]=198.18.112.11 [w1]=198.18.112.12 [w2]=198.18.112.13)
declare -A BIP=([m]=198.18.97.1/24 [w1]=198.18.98.1/24 [w2]=198.18.99.1/24)
declare -A POOL=([m]=198.18.100.0/22 [w1]=198.18.104.0/22 [w2]=198.18.108.0/22)
declare -A HOST_IF=([m]=glswm-h [w1]=glsw1-h [w2]=glsw2-h)
NS_IF=eth0                                        # inside each namespace, the node's one interface
SWARM_POOL=198.18.120.0/21
# From the host, the nodes' container networks must fail at once rather than follow the default route.
GUARDS=(198.18.97.0/24 198.18.98.0/23 198.18.100.0/22 198.18.104.0/21 198.18.120.0/21)
MANAGER_IP=${IP[m]}
REGISTRY_PORT=5000
PG_PORT=5432
PG_PASSWORD=apppass
DEPLOY_USER=greenlight-deploy
PGBIN=/usr/lib/postgresql/15/bin
LIST=$S/started.list

TB_NAME="swarm up"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "must run as root"
id "$DEPLOY_USER" >/dev/null 2>&1 && [ -s "$ROOT/ssh/id_ed25519" ] || die "run test/testbed/up.sh first (it creates $DEPLOY_USER and its key)"
command -v dockerd >/dev/null && command -v docker-registry >/dev/null && [ -x "$PGBIN/initdb" ] || die "dockerd, docker-registry or PostgreSQL 15 missing (test/testbed/up.sh installs them)"

mkdir -p "$S"; chmod 755 "$S"
exec 9>"$S/.lock"
flock -w 600 9 || die "another swarm-up.sh/swarm-down.sh holds $S/.lock"
T0=$(date +%s%N)

sock() { echo "$S/$1/docker.sock"; }
dk() { local n=$1; shift; timeout 20 docker -H "unix://$(sock "$n")" "$@"; }

# --------------------------------------------------------------------------------- health checks
bridge_ok() { [ "$(cat /sys/class/net/$BR/operstate 2>/dev/null)" = up ] && ip -4 -o addr show dev "$BR" | grep >/dev/null -F " $BR_IP/$LINK_PREFIX "; }
node_net_ok() { local n=$1; [ -e "/run/netns/${NS[$n]}" ] && ip netns exec "${NS[$n]}" ip -4 -o addr show dev "$NS_IF" 2>/dev/null | grep >/dev/null -F " ${IP[$n]}/$LINK_PREFIX " &&
                [ "$(ip netns exec "${NS[$n]}" cat /sys/class/net/$NS_IF/operstate 2>/dev/null)" = up ]; }
guards_ok() { local g; for g in "${GUARDS[@]}"; do ip route show type unreachable | grep >/dev/null -F "$g" || return 1; done; }
docker_ok() { dk "$1" version >/dev/null 2>&1; }
# Three nodes, all Ready and active, managed from the manager.
# Every node carries the label greenlight.node=<m|w1|w2> (all three share one hostname, so placement
# constraints and tests tell them apart by label).
swarm_ok() { [ "$(dk m node ls --filter node.label=greenlight.node --format '{{.Status}} {{.Availability}}' 2>/dev/null | grep -c '^Ready Active$')" = 3 ]; }
SSH=(ssh -F "$S/ssh/config" swarm-manager)
ssh_ok() { timeout 15 "${SSH[@]}" 'docker info --format "{{.Swarm.ControlAvailable}}"' 2>/dev/null | grep >/dev/null -x true; }
# An earlier version of this script ran Debian's docker-registry on the manager's :5000 itself.
old_registry_gone() { local pid; pid=$(cat "$S/registry/registry.pid" 2>/dev/null) || return 0; [ "$(cat /proc/$pid/comm 2>/dev/null)" != docker-registry ]; }
pg_ok() { timeout 5 "$PGBIN/pg_isready" -q -h "$MANAGER_IP" -p "$PG_PORT"; }

env_text() {
  local hk; hk=$(cut -d' ' -f1,2 "$S/ssh/ssh_host_ed25519_key.pub")
  cat <<EOF
# generated by test/testbed/swarm-up.sh; source it (or read it with test/integration/swarm/swarmbed.ts)
export SWARM_ROOT=$S
export SWARM_BRIDGE_IP=$BR_IP
export SWARM_MANAGER_IP=$MANAGER_IP
export SWARM_WORKER_IPS="${IP[w1]} ${IP[w2]}"
export SWARM_NETNS="${NS[m]} ${NS[w1]} ${NS[w2]}"
export SWARM_MANAGER_SOCK=$(sock m)
export SWARM_WORKER1_SOCK=$(sock w1)
export SWARM_WORKER2_SOCK=$(sock w2)
export SWARM_SSH_HOST=$MANAGER_IP
export SWARM_SSH_PORT=22
export SWARM_SSH_USER=$DEPLOY_USER
export SWARM_SSH_KEY=$ROOT/ssh/id_ed25519
export SWARM_SSH_KNOWN_HOSTS=$S/ssh/known_hosts
export SWARM_SSH_HOST_KEY='$hk'
export SWARM_SSH_CONFIG=$S/ssh/config
export SWARM_REGISTRY=$MANAGER_IP:$REGISTRY_PORT
export SWARM_ADDR_POOL=$SWARM_POOL
export SWARM_DATABASE_URL=postgres://app:$PG_PASSWORD@$MANAGER_IP:$PG_PORT/appdb
export SWARM_BACKUPS_DIR=/var/backups/greenlight-swarm
EOF
}

all_ok() {
  [ -s "$ROOT/swarm.env" ] && bridge_ok && guards_ok && node_net_ok m && node_net_ok w1 && node_net_ok w2 &&
  docker_ok m && docker_ok w1 && docker_ok w2 && swarm_ok && ssh_ok && old_registry_gone && pg_ok &&
  [ "$(env_text)" = "$(cat "$ROOT/swarm.env")" ]
}
if all_ok; then log "already up and healthy: nothing changed (source $ROOT/swarm.env)"; exit 0; fi

# -------------------------------------------------------------------------- bridge and namespaces
if ! bridge_ok; then
  ip link show "$BR" >/dev/null 2>&1 || ip link add "$BR" type bridge
  rec "link $BR"
  ip addr replace "$BR_IP/$LINK_PREFIX" dev "$BR"
  ip link set "$BR" up
fi
for g in "${GUARDS[@]}"; do
  ip route show type unreachable | grep >/dev/null -F "$g" || ip route add unreachable "$g"
  rec "route unreachable $g"
done
for n in "${NODES[@]}"; do
  node_net_ok "$n" && continue
  [ -e "/run/netns/${NS[$n]}" ] || ip netns add "${NS[$n]}"
  rec "netns ${NS[$n]}"
  if ! ip link show "${HOST_IF[$n]}" >/dev/null 2>&1; then
    ip netns exec "${NS[$n]}" ip link del "$NS_IF" 2>/dev/null || true
    ip link add "${HOST_IF[$n]}" type veth peer name "${HOST_IF[$n]%-h}-p"
    ip link set "${HOST_IF[$n]%-h}-p" netns "${NS[$n]}"
    ip netns exec "${NS[$n]}" ip link set "${HOST_IF[$n]%-h}-p" name "$NS_IF"
  fi
  rec "link ${HOST_IF[$n]}"
  ip link set "${HOST_IF[$n]}" master "$BR"
  ip link set "${HOST_IF[$n]}" up
  ip netns exec "${NS[$n]}" ip link set lo up
  ip netns exec "${NS[$n]}" ip addr replace "${IP[$n]}/$LINK_PREFIX" dev "$NS_IF"
  ip netns exec "${NS[$n]}" ip link set "$NS_IF" up
  wait_for 50 node_net_ok "$n" || die "netns ${NS[$n]}: $NS_IF did not come up"
  log "node $n: netns ${NS[$n]}, ${IP[$n]} on bridge $BR"
done

# ------------------------------------------------------------------------------- one dockerd per node
for n in "${NODES[@]}"; do
  docker_ok "$n" && continue
  D=$S/$n; mkdir -p "$D/data" "$D/exec"; chmod 755 "$D"
  pid=$(cat "$D/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = dockerd ]; then
    log "node $n: dockerd (pid $pid) running but not answering yet; waiting"
  else
    rm -f "$D/docker.sock"
    # Own identity key (each node its own engine ID), pools inside 198.18.0.0/15, and the cluster's
    # registry reachable over plain HTTP (it exists only on the node links).
    printf '{ "deprecated-key-path": "%s/key.json", "default-address-pools": [{ "base": "%s", "size": 24 }], "insecure-registries": ["%s:%s"] }\n' \
      "$D" "${POOL[$n]}" "$MANAGER_IP" "$REGISTRY_PORT" > "$D/daemon.json"
    group=(); [ "$n" = m ] && group=(--group "$DEPLOY_USER")
    # nsenter --net, not 'ip netns exec' (which remounts /sys and hides the cgroup mounts).
    (cd / && exec setsid nsenter --net="/run/netns/${NS[$n]}" dockerd \
        --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
        -H "unix://$D/docker.sock" "${group[@]}" --bip "${BIP[$n]}" \
        --cgroup-parent="/greenlight-swarm-$n" --log-level=warn) </dev/null >"$D/dockerd.log" 2>&1 9>&- &
    log "node $n: starting dockerd in netns ${NS[$n]}"
  fi
  rec "dockerd $D/dockerd.pid $n"
done
for n in "${NODES[@]}"; do
  wait_for 600 docker_ok "$n" || { tail -20 "$S/$n/dockerd.log" >&2; die "dockerd of node $n did not answer within 60 s"; }
done

# ------------------------------------------------------------------------------------------- swarm
if ! swarm_ok; then
  state=$(dk m info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')
  if [ "$state" != "active true" ]; then
    [ "${state%% *}" = inactive ] || dk m swarm leave --force >/dev/null 2>&1 || true
    dk m swarm init --advertise-addr "$MANAGER_IP" --listen-addr "$MANAGER_IP:2377" \
      --default-addr-pool "$SWARM_POOL" --default-addr-pool-mask-length 24 >/dev/null
    log "swarm: initialised on the manager ($MANAGER_IP, overlay pool $SWARM_POOL)"
  fi
  token=$(dk m swarm join-token -q worker)
  for n in w1 w2; do
    # A worker still in an earlier swarm (the manager does not know its node ID) leaves it first.
    if [ "$(dk "$n" info --format '{{.Swarm.LocalNodeState}}')" = active ]; then
      dk m node inspect "$(dk "$n" info --format '{{.Swarm.NodeID}}')" >/dev/null 2>&1 && continue
      dk "$n" swarm leave --force >/dev/null 2>&1 || true
    fi
    dk "$n" swarm join --token "$token" --advertise-addr "${IP[$n]}" --listen-addr "${IP[$n]}:2377" "$MANAGER_IP:2377" >/dev/null
    log "swarm: worker $n (${IP[$n]}) joined"
  done
  for n in "${NODES[@]}"; do
    dk m node update --label-add "greenlight.node=$n" "$(dk "$n" info --format '{{.Swarm.NodeID}}')" >/dev/null
  done
  # Nodes of earlier runs that are gone (each bring-up after a down.sh makes new node IDs).
  for id in $(dk m node ls --format '{{.ID}} {{.Status}}' | awk '$2=="Down"{print $1}'); do dk m node rm --force "$id" >/dev/null 2>&1 || true; done
  wait_for 300 swarm_ok || { dk m node ls >&2; die "the swarm did not report 3 Ready nodes within 30 s"; }
  log "swarm: 3 nodes Ready"
fi

# --------------------------------------------------------------------------- sshd on the manager
mkdir -p "$S/ssh" "$S/sshd"
[ -s "$S/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C greenlight-swarm-manager -f "$S/ssh/ssh_host_ed25519_key"
echo "$MANAGER_IP $(cut -d' ' -f1,2 "$S/ssh/ssh_host_ed25519_key.pub")" > "$S/ssh/known_hosts"
cat > "$S/ssh/config" <<EOF
Host swarm-manager
  HostName $MANAGER_IP
  Port 22
  User $DEPLOY_USER
  IdentityFile $ROOT/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $S/ssh/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  LogLevel ERROR
EOF
install -d -m 750 -o "$DEPLOY_USER" -g "$DEPLOY_USER" /var/backups/greenlight-swarm
if ! ssh_ok; then
  mkdir -p /run/sshd; chmod 755 /run/sshd
  sshd_config "greenlight swarm test bed: the manager's sshd, inside netns ${NS[m]}" 22 "$S" \
    "DOCKER_HOST=unix://$(sock m) PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=app PGPASSWORD=$PG_PASSWORD PGDATABASE=appdb GREENLIGHT_BACKUPS_DIR=/var/backups/greenlight-swarm" \
    "$MANAGER_IP" > "$S/sshd/sshd_config"
  start_sshd "$S" "${NS[m]}"
  [ "$SSHD_STARTED" = 0 ] || log "sshd: started on the manager ($MANAGER_IP:22)"
  rec "sshd $S/sshd/sshd.pid"
  wait_for 100 ssh_ok || { tail -20 "$S/sshd/sshd.log" >&2; die "ssh $DEPLOY_USER@$MANAGER_IP with docker on PATH failed"; }
fi

# ------------------------------------------- the earlier bed's registry process (the port is Greenlight's now)
if ! old_registry_gone; then
  pid=$(cat "$S/registry/registry.pid")
  kill "$pid"
  for _ in $(seq 50); do old_registry_gone && break; sleep 0.1; done
  old_registry_gone || die "the earlier docker-registry (pid $pid) did not stop"
  rm -f "$S/registry/registry.pid"
  log "registry: stopped the bed's own docker-registry on $MANAGER_IP:$REGISTRY_PORT (Greenlight runs the cluster registry now)"
fi

# ---------------------------------------------------------------------- PostgreSQL on the manager
if ! pg_ok; then
  d=$S/pg
  if [ ! -s "$d/data/PG_VERSION" ]; then
    rm -rf "$d"; install -d -m 755 -o postgres -g postgres "$d" "$d/sock"
    echo "$PG_PASSWORD" > "$d/pwfile"; chown postgres "$d/pwfile"; chmod 600 "$d/pwfile"
    runuser -u postgres -- "$PGBIN/initdb" -D "$d/data" -U postgres --pwfile="$d/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >"$d/initdb.log" 2>&1 ||
      { cat "$d/initdb.log" >&2; die "initdb $d failed"; }
    # Clients: the host and the nodes (their links), the containers of the nodes (their bridges, the
    # overlay pool; a task reaching the manager's address leaves its node masqueraded, but not on the manager itself).
    for cidr in 198.18.112.0/24 198.18.97.0/24 198.18.98.0/23 198.18.100.0/22 198.18.104.0/21 "$SWARM_POOL"; do echo "host all all $cidr scram-sha-256" >> "$d/data/pg_hba.conf"; done
    cat >> "$d/data/postgresql.conf" <<EOF
# greenlight swarm test bed: disposable data, so durability is traded for speed
listen_addresses = '127.0.0.1,$MANAGER_IP'
port = $PG_PORT
unix_socket_directories = '$d/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
max_connections = 100
EOF
  fi
  if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d/data" status >/dev/null 2>&1; then
    nsenter --net="/run/netns/${NS[m]}" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d/data" -l "$d/postgres.log" -w -t 60 start \
      </dev/null >/dev/null 2>&1 9>&- || { tail -20 "$d/postgres.log" >&2; die "postgres $d did not start"; }
  fi
  rec "postgres $d/data"
  runuser -u postgres -- "$PGBIN/psql" -q -X -h "$d/sock" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<EOF
SELECT 'CREATE ROLE app LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') \gexec
ALTER ROLE app LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
SELECT 'CREATE DATABASE appdb OWNER app' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'appdb') \gexec
EOF
  wait_for 100 pg_ok || die "postgres does not answer on $MANAGER_IP:$PG_PORT"
  log "postgres: $MANAGER_IP:$PG_PORT (in the manager's netns)"
fi

env_text > "$ROOT/swarm.env.tmp" && mv "$ROOT/swarm.env.tmp" "$ROOT/swarm.env"
unhealthy() { local c; for c in bridge_ok guards_ok "node_net_ok m" "node_net_ok w1" "node_net_ok w2" "docker_ok m" "docker_ok w1" "docker_ok w2" swarm_ok ssh_ok old_registry_gone pg_ok; do $c >/dev/null 2>&1 || printf '%s; ' "$c"; done; }
wait_for 100 all_ok || die "still unhealthy after bring-up: $(unhealthy)(logs under $S)"
log "ready: source $ROOT/swarm.env"
