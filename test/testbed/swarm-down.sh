#!/usr/bin/env bash
# swarm-down.sh — stop exactly what swarm-up.sh started, as recorded in $S/started.list, in reverse
# order. Processes are stopped only by the PID in their own pidfile, after checking its command name.
# Every node leaves the swarm and loses its services and containers (a next bring-up makes a new
# swarm); images, registry blobs, database files and keys stay for a fast next bring-up. PURGE=1
# deletes $S too. down.sh runs it first (its sessions would otherwise keep the deploy user busy).
set -uo pipefail
ROOT=${GREENLIGHT_TESTBED_ROOT:-/tmp/greenlight-testbed}
S=${GREENLIGHT_SWARM_ROOT:-/tmp/greenlight-swarm}
PGBIN=/usr/lib/postgresql/15/bin
LIST=$S/started.list
[ "$(id -u)" = 0 ] || { echo "swarm down: must run as root" >&2; exit 1; }
[ -d "$S" ] || { echo "swarm down: nothing to do ($S does not exist)"; exit 0; }
exec 9>"$S/.lock"
flock -w 600 9 || { echo "swarm down: another swarm-up.sh/swarm-down.sh holds $S/.lock" >&2; exit 1; }
rm -f "$ROOT/swarm.env"
[ -s "$LIST" ] || { echo "swarm down: nothing recorded in $LIST"; exit 0; }

T0=$(date +%s%N)
el() { printf '%5.2fs' "$(( ($(date +%s%N) - T0) / 10000000 ))e-2"; }
failed=0

kill_pidfile() {
  local f=$1 want=$2 t=$3 pid comm
  [ -s "$f" ] || { echo "  $f: no pidfile"; return 0; }
  pid=$(head -1 "$f" | tr -dc 0-9)
  { [ -n "$pid" ] && [ -d "/proc/$pid" ]; } || { echo "  $want: pid ${pid:-?} not running"; return 0; }
  comm=$(cat "/proc/$pid/comm" 2>/dev/null)
  [ "$comm" = "$want" ] || { echo "  $f: pid $pid is '$comm', not '$want': left alone"; return 0; }
  kill -TERM "$pid"
  for _ in $(seq $((t * 10))); do [ -d "/proc/$pid" ] || { echo "  stopped $want (pid $pid)"; return 0; }; sleep 0.1; done
  echo "  $want (pid $pid) ignored SIGTERM for ${t}s: SIGKILL"; kill -KILL "$pid" 2>/dev/null
}

manager_ns=$(awk '$1=="netns"{print $2; exit}' "$LIST")
while read -r kind arg rest; do
  [ -n "$kind" ] || continue
  echo "[swarm down $(el)] $kind $arg $rest"
  case "$kind" in
    pidfile)
      kill_pidfile "$arg" "$rest" 10 ;;
    sshd)
      kill_pidfile "$arg" sshd 10
      if [ -n "$manager_ns" ]; then
        for pid in $(ip netns pids "$manager_ns" 2>/dev/null); do
          [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && kill -TERM "$pid" 2>/dev/null && echo "  ended ssh session pid $pid"
        done
        sleep 0.3
      fi ;;
    dockerd)
      d=$(dirname "$arg"); h="unix://$d/docker.sock"
      if [ -S "$d/docker.sock" ]; then
        # The manager goes last (the list is reversed): its services are removed, then every node
        # leaves the swarm, so nothing restarts on the next bring-up.
        if [ "$rest" = m ]; then
          ids=$(timeout 20 docker -H "$h" service ls -q 2>/dev/null)
          [ -n "$ids" ] && timeout 60 docker -H "$h" service rm $ids >/dev/null 2>&1 && echo "  removed $(echo $ids | wc -w) service(s)"
        fi
        timeout 30 docker -H "$h" swarm leave --force >/dev/null 2>&1 && echo "  node $rest left the swarm"
        ids=$(timeout 20 docker -H "$h" ps -aq 2>/dev/null)
        [ -n "$ids" ] && timeout 60 docker -H "$h" rm -f $ids >/dev/null 2>&1 && echo "  removed $(echo $ids | wc -w) container(s)"
      fi
      kill_pidfile "$arg" dockerd 60
      grep -F " $d/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m"; echo "  unmounted $m"
      done
      for c in /sys/fs/cgroup/*/greenlight-swarm-"$rest" /sys/fs/cgroup/greenlight-swarm-"$rest"; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done ;;
    postgres)
      if runuser -u postgres -- "$PGBIN/pg_ctl" -D "$arg" status >/dev/null 2>&1; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$arg" -m fast -w -t 60 stop >/dev/null && echo "  stopped postgres $arg" || failed=1
      else
        echo "  postgres $arg not running"
      fi ;;
    route)
      ip route del "$arg" "$rest" 2>/dev/null && echo "  removed route $arg $rest" ;;
    link)
      ip link del "$arg" 2>/dev/null && echo "  removed link $arg" ;;
    netns)
      left=$(ip netns pids "$arg" 2>/dev/null | tr '\n' ' ')
      [ -n "$left" ] && echo "  WARNING: processes still in netns $arg (left alone): $left"
      ip netns del "$arg" 2>/dev/null && echo "  removed netns $arg" ;;
    *)
      echo "  unknown record '$kind $arg $rest': ignored" ;;
  esac
done < <(tac "$LIST")
rm -f "$LIST"

if [ "${PURGE:-0}" = 1 ]; then
  if grep -qF " $S/" /proc/self/mounts; then echo "  something is still mounted under $S: not purging"; failed=1
  else rm -rf "$S"; echo "  purged $S"; fi
fi
echo "[swarm down $(el)] done"
exit $failed
