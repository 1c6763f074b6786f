# lib.sh — what up.sh, swarm-up.sh, down.sh and swarm-down.sh share: timed logging, the record of
# what was started (and its undoing, in reverse), polling, and the deploy user's sshd inside a
# network namespace. Sourced, never run. The caller sets TB_NAME (the log prefix) and LIST (its
# record) before calling anything here.

T0=$(date +%s%N)
el() { printf '%5.2fs' "$(( ($(date +%s%N) - T0) / 10000000 ))e-2"; }
log() { printf '[%s %s] %s\n' "$TB_NAME" "$(el)" "$*"; }
die() { echo "$TB_NAME: ERROR: $*" >&2; exit 1; }
# Record a started thing once; the down scripts undo the records in reverse order.
rec() { grep -qxF -- "$*" "$LIST" 2>/dev/null || echo "$*" >> "$LIST"; }
# Poll a check for up to $1 tenths of a second.
wait_for() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; "$@" >/dev/null 2>&1; }

# sshd_config COMMENT PORT DIR SETENV LISTEN...: the deploy user's sshd, key-only, with its host key
# and pidfile under DIR (ssh/ and sshd/). SETENV lets the remote 'docker' CLI (docker-modem runs
# 'docker system dial-stdio' over SSH) find the engine, and pg_dump/psql the database, without any
# setup on the client side.
sshd_config() {
  local comment=$1 port=$2 dir=$3 setenv=$4 a; shift 4
  echo "# $comment"
  echo "Port $port"
  for a in "$@"; do echo "ListenAddress $a"; done
  cat <<EOC
HostKey $dir/ssh/ssh_host_ed25519_key
PidFile $dir/sshd/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
AllowUsers $DEPLOY_USER
X11Forwarding no
PrintMotd no
MaxSessions 50
MaxStartups 100:30:200
SetEnv $setenv
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
EOC
}

# start_sshd DIR NETNS: checks DIR/sshd/sshd_config, then starts sshd in NETNS, or has the running
# one re-read the config. Sets SSHD_STARTED=1 when it started one.
start_sshd() {
  local dir=$1 ns=$2 pid
  SSHD_STARTED=0
  /usr/sbin/sshd -t -f "$dir/sshd/sshd_config" || die "sshd rejects $dir/sshd/sshd_config"
  # No pidfile yet is the usual case on a first bring-up (errexit would end the caller here).
  pid=$(cat "$dir/sshd/sshd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ]; then
    kill -HUP "$pid"
  else
    rm -f "$dir/sshd/sshd.pid"
    nsenter --net="/run/netns/$ns" /usr/sbin/sshd -f "$dir/sshd/sshd_config" -E "$dir/sshd/sshd.log" </dev/null >/dev/null 2>&1 9>&-
    SSHD_STARTED=1
  fi
}

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

# stop_sshd PIDFILE NETNS: the listener, then the sessions inside NETNS (they outlive the listener,
# and they are ours: userdel fails while they run).
stop_sshd() {
  local pid
  kill_pidfile "$1" sshd 10
  [ -n "$2" ] || return 0
  for pid in $(ip netns pids "$2" 2>/dev/null); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && kill -TERM "$pid" 2>/dev/null && echo "  ended ssh session pid $pid"
  done
  sleep 0.3
}

# unmount_below DIR: a dockerd started with nsenter --net bind-mounts its netns under its exec-root
# in the host mount namespace; unmount whatever is left below DIR.
unmount_below() {
  grep -F " $1/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"; echo "  unmounted $m"
  done
}

# undo_record KIND ARG REST: undoes the kinds of record both beds make alike (pidfile, postgres,
# route, link, netns); returns 2 for a kind the caller undoes itself. Sets failed=1 on a failure.
undo_record() {
  local kind=$1 arg=$2 rest=$3 left
  case "$kind" in
    pidfile)
      kill_pidfile "$arg" "$rest" 10 ;;
    postgres)
      if runuser -u postgres -- "$PGBIN/pg_ctl" -D "$arg" status >/dev/null 2>&1; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$arg" -m fast -w -t 60 stop >/dev/null && echo "  stopped postgres $arg" || failed=1
      else
        echo "  postgres $arg not running"
      fi ;;
    route)
      ip route del "$arg" "$rest" 2>/dev/null && echo "  removed route $arg $rest" ;;
    link)
      ip link del "$arg" 2>/dev/null && echo "  removed link $arg (both veth ends, where a veth)" ;;
    netns)
      left=$(ip netns pids "$arg" 2>/dev/null | tr '\n' ' ')
      [ -n "$left" ] && echo "  WARNING: processes still in netns $arg (left alone): $left"
      ip netns del "$arg" 2>/dev/null && echo "  removed netns $arg" ;;
    *)
      return 2 ;;
  esac
  return 0
}

# purge_dir DIR: PURGE=1 deletes DIR, unless something is still mounted below it.
purge_dir() {
  [ "${PURGE:-0}" = 1 ] || return 0
  if grep -qF " $1/" /proc/self/mounts; then echo "  something is still mounted under $1: not purging"; failed=1
  else rm -rf "$1"; echo "  purged $1"; fi
}
