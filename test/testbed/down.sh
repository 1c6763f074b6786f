#!/usr/bin/env bash
# down.sh — stop exactly what up.sh started, as recorded in $ROOT/started.list, in reverse order.
# Processes are stopped only by the PID in their own pidfile, after checking the PID's command name;
# anything up.sh merely reused (for example a host dockerd that was already running) is left alone.
# Keys and data directories stay for a fast next bring-up (the pinned host key stays the same);
# PURGE=1 deletes $ROOT too. Backups in /var/backups/greenlight are never deleted.
set -uo pipefail
ROOT=${GREENLIGHT_TESTBED_ROOT:-/tmp/greenlight-testbed}
PGBIN=/usr/lib/postgresql/15/bin
LIST=$ROOT/started.list
[ "$(id -u)" = 0 ] || { echo "testbed down: must run as root" >&2; exit 1; }
# The swarm test bed first: its manager's sshd holds sessions of the deploy user removed below.
bash "$(dirname "$0")/swarm-down.sh" || echo "testbed down: swarm-down.sh failed (continuing)" >&2
[ -d "$ROOT" ] || { echo "testbed down: nothing to do ($ROOT does not exist)"; exit 0; }
exec 9>"$ROOT/.lock"
flock -w 900 9 || { echo "testbed down: another up.sh/down.sh holds $ROOT/.lock" >&2; exit 1; }
# The env file describes a running test bed; once we start stopping things it is no longer true.
rm -f "$ROOT/env"
[ -s "$LIST" ] || { echo "testbed down: nothing recorded in $LIST"; exit 0; }

T0=$(date +%s%N)
el() { printf '%5.2fs' "$(( ($(date +%s%N) - T0) / 10000000 ))e-2"; }
failed=0

# kill_pidfile FILE COMM TIMEOUT_S: SIGTERM the pid in FILE if its command name is COMM; SIGKILL after TIMEOUT_S.
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

netns=$(awk '$1=="netns"{print $2; exit}' "$LIST")
while read -r kind arg rest; do
  [ -n "$kind" ] || continue
  echo "[testbed down $(el)] $kind $arg $rest"
  case "$kind" in
    pidfile)
      kill_pidfile "$arg" "$rest" 10 ;;
    sshd)
      kill_pidfile "$arg" sshd 10
      # Open sessions outlive the listener; those inside our netns are ours (userdel fails otherwise).
      if [ -n "$netns" ]; then
        for pid in $(ip netns pids "$netns" 2>/dev/null); do
          [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && kill -TERM "$pid" 2>/dev/null && echo "  ended ssh session pid $pid"
        done
        sleep 0.3
      fi ;;
    dockerd)
      d=$(dirname "$arg")
      if [ "$rest" = prod ] && [ -S "$d/docker.sock" ]; then
        # Containers left by tests (often with a restart policy) would come back on the next bring-up
        # and hold their ports; remove them. Images and volumes stay.
        ids=$(timeout 20 docker -H "unix://$d/docker.sock" ps -aq 2>/dev/null)
        [ -n "$ids" ] && timeout 60 docker -H "unix://$d/docker.sock" rm -f $ids >/dev/null 2>&1 && echo "  removed $(echo $ids | wc -w) prod container(s)"
      fi
      kill_pidfile "$arg" dockerd 60
      # The prod dockerd (started with nsenter --net) bind-mounts its netns under its exec-root in the
      # host mount namespace; unmount whatever is left below its directory.
      if [ "$rest" = prod ]; then
        grep -F " $d/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do
          umount "$m" 2>/dev/null || umount -l "$m"; echo "  unmounted $m"
        done
        for c in /sys/fs/cgroup/*/greenlight-prod /sys/fs/cgroup/greenlight-prod; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
      fi ;;
    postgres)
      if runuser -u postgres -- "$PGBIN/pg_ctl" -D "$arg" status >/dev/null 2>&1; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$arg" -m fast -w -t 60 stop >/dev/null && echo "  stopped postgres $arg" || failed=1
      else
        echo "  postgres $arg not running"
      fi ;;
    user)
      if id "$arg" >/dev/null 2>&1; then
        if userdel "$arg" 2>/dev/null; then echo "  removed user $arg"; else echo "  userdel $arg failed (processes left?)"; failed=1; fi
      fi
      getent group "$arg" >/dev/null && groupdel "$arg" 2>/dev/null ;;
    route)
      ip route del "$arg" "$rest" 2>/dev/null && echo "  removed route $arg $rest" ;;
    link)
      ip link del "$arg" 2>/dev/null && echo "  removed link $arg (both veth ends)" ;;
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
  if grep -qF " $ROOT/" /proc/self/mounts; then echo "  something is still mounted under $ROOT: not purging"; failed=1
  else rm -rf "$ROOT"; echo "  purged $ROOT"; fi
fi
echo "[testbed down $(el)] done"
exit $failed
