#!/usr/bin/env bash
# registryImage.sh — build the registry image Greenlight's managed cluster registry runs on the swarm
# test bed (environments.<env>.swarm.registry: { managed: true, image: … }): Debian's docker-registry
# binary (apt-get install docker-registry; up.sh installs it) with the shared libraries it links, a
# config like registry:2's (port 5000, data in /var/lib/registry, no login), and the static busybox
# (Greenlight checks the registry answers with busybox wget inside the container, as registry:2's
# Alpine base allows), FROM scratch with --network none. Mirrors proxyImage.sh.
#
#   greenlight-test/registry:<docker-registry version>   e.g. greenlight-test/registry:2.8.2
#
# Usage: bash test/testbed/registryImage.sh [-H unix:///path/docker.sock]   Prints "tag id size".
set -euo pipefail
engine=()
if [ "${1:-}" = -H ]; then engine=(-H "$2"); shift 2; fi

reg=$(command -v docker-registry || true)
[ -n "$reg" ] || { echo "registryImage.sh: docker-registry not found (apt-get install --no-install-recommends docker-registry, or run test/testbed/up.sh)" >&2; exit 2; }
reg=$(readlink -f "$reg")
bb=$(readlink -f "$(command -v busybox || echo /bin/busybox)")
file "$bb" | grep -q 'statically linked' || { echo "registryImage.sh: $bb is not a static busybox (install busybox-static)" >&2; exit 2; }
version=$("$reg" --version | awk '{print $3}' | sed 's/+.*//; s/^v//')
[[ $version =~ ^[0-9][A-Za-z0-9_.-]*$ ]] || { echo "registryImage.sh: cannot read the docker-registry version ('$version')" >&2; exit 2; }
tag="greenlight-test/registry:$version"

ctx=$(mktemp -d /tmp/greenlight-registry-ctx.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/root/usr/bin" "$ctx/root/bin" "$ctx/root/etc/docker/registry" "$ctx/root/var/lib/registry" "$ctx/root/tmp"
cp "$reg" "$ctx/root/usr/bin/docker-registry"
cp "$bb" "$ctx/root/bin/busybox"
# The dynamic loader and every library ldd names, at the same paths.
ldd "$reg" | grep -o '/[^ ]*' | while read -r lib; do
  mkdir -p "$ctx/root$(dirname "$lib")"
  cp "$(readlink -f "$lib")" "$ctx/root$lib"
done
chmod 1777 "$ctx/root/tmp"
# registry:2's own config, less its in-memory cache.
cat > "$ctx/root/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
YAML
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY root /
ENV PATH=/usr/bin:/bin
VOLUME /var/lib/registry
EXPOSE 5000
ENTRYPOINT ["/usr/bin/docker-registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
DOCKERFILE
if ! out=$(docker "${engine[@]}" build -q --network none -t "$tag" "$ctx" 2>&1); then
  echo "registryImage.sh: docker build $tag failed:" >&2; echo "$out" >&2; exit 1
fi
docker "${engine[@]}" image inspect --format "$tag {{.Id}} {{.Size}}" "$tag"
