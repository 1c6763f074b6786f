#!/usr/bin/env bash
# images.sh — build Greenlight's FROM-scratch test images on a Docker engine, with no registry and no
# network (--network none).
#
#   greenlight-test/busybox-app:<version>   static busybox httpd (about 2 MB): serves / and a CGI health
#     endpoint /cgi-bin/health -> 200 {"status":"ok","version":"<version>"} (500 with FAIL_HEALTH=1).
#     Env: PORT (8080), BIND (0.0.0.0). Run it with --network host and BIND=127.0.0.1 on the host
#     engine, or BIND=198.18.77.2 on the prod engine, so no bridge address is ever involved.
#
# Usage: bash test/testbed/images.sh [-H unix:///path/docker.sock] [VERSION...]   (default VERSION 1)
#   -H picks the engine (default: DOCKER_HOST, else the host engine). Prints one "tag id size" line per image.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
engine=()
if [ "${1:-}" = -H ]; then engine=(-H "$2"); shift 2; fi
versions=("$@"); [ ${#versions[@]} -gt 0 ] || versions=(1)

bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "images.sh: busybox not found (apt-get install busybox-static, or run test/testbed/up.sh)" >&2; exit 2; }
bb=$(readlink -f "$bb")
file "$bb" | grep -q 'statically linked' || { echo "images.sh: $bb is not statically linked (install busybox-static)" >&2; exit 2; }

# The build context is a temporary copy, so the busybox binary never lands in the source tree.
ctx=$(mktemp -d /tmp/greenlight-image-ctx.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp -r "$HERE/images/busybox-app/." "$ctx/"
cp "$bb" "$ctx/busybox"
chmod 755 "$ctx/busybox" "$ctx/www/cgi-bin/health"

for v in "${versions[@]}"; do
  [[ $v =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "images.sh: '$v' is not a valid image tag" >&2; exit 2; }
  tag="greenlight-test/busybox-app:$v"
  # The legacy builder prints a buildx deprecation notice on stderr; keep errors, drop the notice.
  if ! out=$(docker "${engine[@]}" build -q --network none --build-arg "APP_VERSION=$v" -t "$tag" "$ctx" 2>&1); then
    echo "images.sh: docker build $tag failed:" >&2; echo "$out" >&2; exit 1
  fi
  docker "${engine[@]}" image inspect --format "$tag {{.Id}} {{.Size}}" "$tag"
done
