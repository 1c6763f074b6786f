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
TB_NAME="swarm down"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "swarm down: must run as root" >&2; exit 1; }
[ -d "$S" ] || { echo "swarm down: nothing to do ($S does not exist)"; exit 0; }
exec 9>"$S/.lock"
flock -w 600 9 || { echo "swarm down: another swarm-up.sh/swarm-down.sh holds $S/.lock" >&2; exit 1; }
rm -f "$ROOT/swarm.env"
[ -s "$LIST" ] || { echo "swarm down: nothing recorded in $LIST"; exit 0; }

failed=0

manager_ns=$(awk '$1=="netns"{print $2; exit}' "$LIST")
while read -r kind arg rest; do
  [ -n "$kind" ] || continue
  echo "[swarm down $(el)] $kind $arg $rest"
  case "$kind" in
    sshd)
      stop_sshd "$arg" "$manager_ns" ;;
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
      unmount_below "$d"
      for c in /sys/fs/cgroup/*/greenlight-swarm-"$rest" /sys/fs/cgroup/greenlight-swarm-"$rest"; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done ;;
    *)
      undo_record "$kind" "$arg" "$rest" || echo "  unknown record '$kind $arg $rest': ignored" ;;
  esac
done < <(tac "$LIST")
rm -f "$LIST"

purge_dir "$S"
echo "[swarm down $(el)] done"
exit $failed
