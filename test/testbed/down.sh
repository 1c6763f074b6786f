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
TB_NAME="testbed down"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "testbed down: must run as root" >&2; exit 1; }
# The swarm test bed first: its manager's sshd holds sessions of the deploy user removed below.
bash "$(dirname "$0")/swarm-down.sh" || echo "testbed down: swarm-down.sh failed (continuing)" >&2
[ -d "$ROOT" ] || { echo "testbed down: nothing to do ($ROOT does not exist)"; exit 0; }
exec 9>"$ROOT/.lock"
flock -w 900 9 || { echo "testbed down: another up.sh/down.sh holds $ROOT/.lock" >&2; exit 1; }
# The env file describes a running test bed; once we start stopping things it is no longer true.
rm -f "$ROOT/env"
[ -s "$LIST" ] || { echo "testbed down: nothing recorded in $LIST"; exit 0; }

failed=0

netns=$(awk '$1=="netns"{print $2; exit}' "$LIST")
while read -r kind arg rest; do
  [ -n "$kind" ] || continue
  echo "[testbed down $(el)] $kind $arg $rest"
  case "$kind" in
    sshd)
      stop_sshd "$arg" "$netns" ;;
    dockerd)
      d=$(dirname "$arg")
      if [ "$rest" = prod ] && [ -S "$d/docker.sock" ]; then
        # Containers left by tests (often with a restart policy) would come back on the next bring-up
        # and hold their ports; remove them. Images and volumes stay.
        ids=$(timeout 20 docker -H "unix://$d/docker.sock" ps -aq 2>/dev/null)
        [ -n "$ids" ] && timeout 60 docker -H "unix://$d/docker.sock" rm -f $ids >/dev/null 2>&1 && echo "  removed $(echo $ids | wc -w) prod container(s)"
      fi
      kill_pidfile "$arg" dockerd 60
      if [ "$rest" = prod ]; then
        unmount_below "$d"
        for c in /sys/fs/cgroup/*/greenlight-prod /sys/fs/cgroup/greenlight-prod; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
      fi ;;
    user)
      if id "$arg" >/dev/null 2>&1; then
        if userdel "$arg" 2>/dev/null; then echo "  removed user $arg"; else echo "  userdel $arg failed (processes left?)"; failed=1; fi
      fi
      getent group "$arg" >/dev/null && groupdel "$arg" 2>/dev/null ;;
    *)
      undo_record "$kind" "$arg" "$rest" || echo "  unknown record '$kind $arg $rest': ignored" ;;
  esac
done < <(tac "$LIST")
rm -f "$LIST"

purge_dir "$ROOT"
echo "[testbed down $(el)] done"
exit $failed
