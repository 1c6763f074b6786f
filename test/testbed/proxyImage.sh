#!/usr/bin/env bash
# proxyImage.sh — build the reverse proxy image Greenlight's proxy deploys use on the test bed:
# Debian's caddy binary (apt-get install caddy; test/acceptance/setup.sh installs it) with the
# shared libraries it links, and the static busybox (its wget drives Caddy's admin API from inside
# the container, as the official caddy:2 image's busybox does), FROM scratch with --network none.
#
#   greenlight-test/caddy:<caddy version>   e.g. greenlight-test/caddy:2.6.2
#
# Usage: bash test/testbed/proxyImage.sh [-H unix:///path/docker.sock]   Prints "tag id size".
set -euo pipefail
engine=()
if [ "${1:-}" = -H ]; then engine=(-H "$2"); shift 2; fi

caddy=$(command -v caddy || true)
[ -n "$caddy" ] || { echo "proxyImage.sh: caddy not found (apt-get install --no-install-recommends caddy, or run test/acceptance/setup.sh)" >&2; exit 2; }
caddy=$(readlink -f "$caddy")
bb=$(readlink -f "$(command -v busybox || echo /bin/busybox)")
file "$bb" | grep -q 'statically linked' || { echo "proxyImage.sh: $bb is not a static busybox (install busybox-static)" >&2; exit 2; }
version=$("$caddy" version | awk '{print $1}' | sed 's/^v//')
[[ $version =~ ^[0-9][A-Za-z0-9_.-]*$ ]] || { echo "proxyImage.sh: cannot read the caddy version ('$version')" >&2; exit 2; }
tag="greenlight-test/caddy:$version"

ctx=$(mktemp -d /tmp/greenlight-proxy-ctx.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/root/usr/bin" "$ctx/root/bin" "$ctx/root/etc/caddy" "$ctx/root/config" "$ctx/root/data" "$ctx/root/tmp"
cp "$caddy" "$ctx/root/usr/bin/caddy"
cp "$bb" "$ctx/root/bin/busybox"
# The dynamic loader and every library ldd names, at the same paths.
ldd "$caddy" | grep -o '/[^ ]*' | while read -r lib; do
  mkdir -p "$ctx/root$(dirname "$lib")"
  cp "$(readlink -f "$lib")" "$ctx/root$lib"
done
chmod 1777 "$ctx/root/tmp"
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY root /
ENV PATH=/usr/bin:/bin XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data HOME=/tmp
CMD ["caddy", "run", "--resume"]
DOCKERFILE
if ! out=$(docker "${engine[@]}" build -q --network none -t "$tag" "$ctx" 2>&1); then
  echo "proxyImage.sh: docker build $tag failed:" >&2; echo "$out" >&2; exit 1
fi
docker "${engine[@]}" image inspect --format "$tag {{.Id}} {{.Size}}" "$tag"
