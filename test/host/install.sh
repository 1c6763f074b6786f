#!/usr/bin/env bash
# Installs a real VS Code server and a browser driver for the extension-host tests and the
# screenshots, into the git-ignored folder .tools/vscode-host/ (never into the project's
# node_modules: code-server is a test tool, not a dependency of the extension).
#   - code-server@4.100.3 from npm: its lib/vscode is the VS Code 1.100.3 server build ("REH-web":
#     Node extension host + web workbench) and runs on the system Node 20.
#   - playwright-core: drives Debian's chromium (no browser download: none is reachable here).
# Idempotent: a second run only checks a stamp file and exits.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${GREENLIGHT_VSCODE_HOST_DIR:-$ROOT/.tools/vscode-host}"
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_CORE_VERSION=1.65.1
APT_PKGS="chromium fonts-dejavu-core ripgrep libkrb5-dev build-essential python3"
STAMP="$DIR/.installed"
WANT="code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_CORE_VERSION"
log() { echo "[host install] $*" >&2; }

missing_apt() { local m=""; for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || m="$m $p"; done; echo "$m"; }

# Fast path: everything already there.
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -z "$(missing_apt)" ] \
   && [ -f "$DIR/node_modules/code-server/lib/vscode/out/server-main.js" ]; then
  exit 0
fi

mkdir -p "$DIR"
# One install at a time (npm test and a developer may both start one).
exec 9>"$DIR/.install.lock"
flock 9
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -z "$(missing_apt)" ]; then exit 0; fi
t0=$(date +%s)

# 1) OS packages: chromium (drives the web workbench), ripgrep (seeds @vscode/ripgrep, see 3),
#    libkrb5-dev + build-essential + python3 (node-gyp builds node-pty, kerberos, spdlog, ...).
missing="$(missing_apt)"
if [ -n "$missing" ]; then
  log "apt-get install$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $missing >/dev/null
fi

# 2) code-server's postinstall runs `npm install` inside lib/vscode. As root npm insists on
#    unsafe-perm; node-pty's install runs `npx node-gyp`, which needs npx's "yes"; node-gyp must
#    take the headers from Debian's nodejs (nodedir) because it cannot download them. This
#    folder's installs run their packages' install scripts (they build the server's native
#    modules); the project's own node_modules keep the allowScripts policy.
export npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true
[ -f /usr/include/node/node.h ] && export npm_config_nodedir=/usr

# 3) VS Code depends on @vscode/ripgrep, whose postinstall downloads rg from GitHub (unreachable).
#    Seed its download cache (os.tmpdir()/vscode-ripgrep-cache-<ver>/ripgrep-<tag>-<triple>.tar.gz)
#    with Debian's rg; TMPDIR points into this folder so the seeded cache is found and stays here.
export TMPDIR="$DIR/.tmp"; mkdir -p "$TMPDIR"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "code-server@$CODE_SERVER_VERSION" >/dev/null && tar xzf code-server-*.tgz package/lib/vscode/npm-shrinkwrap.json)
rgver="$(node -e 'const d=require(process.argv[1]);const p=d.packages["node_modules/@vscode/ripgrep"];console.log(p?p.version:"")' "$tmp/package/lib/vscode/npm-shrinkwrap.json")"
if [ -n "$rgver" ]; then
  (cd "$tmp" && npm pack --silent "@vscode/ripgrep@$rgver" >/dev/null && tar xzf vscode-ripgrep-*.tgz package/lib/postinstall.js)
  tag="$(sed -n "s/^const VERSION = '\(.*\)';/\1/p" "$tmp/package/lib/postinstall.js")"
  cache="$TMPDIR/vscode-ripgrep-cache-$rgver"; mkdir -p "$cache" "$tmp/rg"; cp "$(command -v rg)" "$tmp/rg/rg"
  for triple in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
    tar czf "$cache/ripgrep-$tag-$triple.tar.gz" -C "$tmp/rg" rg
  done
  log "seeded the @vscode/ripgrep $rgver download cache with Debian's rg"
fi

# 4) The packages. This folder has its own package.json so npm never walks up to the project's.
cd "$DIR"
echo '{ "name": "greenlight-vscode-host-tools", "private": true, "description": "Test tools for Greenlight: a real VS Code server and a browser driver. Made by test/host/install.sh." }' > package.json
log "npm install $WANT (builds the server's native modules, about 1-2 min)"
if ! npm install --no-save --no-package-lock --no-audit --no-fund $WANT >install.log 2>&1; then
  tail -50 install.log >&2
  log "FAILED; full log: $DIR/install.log"
  exit 1
fi
node node_modules/code-server/lib/vscode/out/server-main.js --version 2>/dev/null | head -1 | sed 's/^/[host install] VS Code server /' >&2
echo "$WANT" > "$STAMP"
log "done in $(( $(date +%s) - t0 )) s: $(du -sh node_modules | cut -f1) in $DIR/node_modules"
