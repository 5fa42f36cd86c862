#!/usr/bin/env bash
# Runs the Dockerfile's three stages (build, deps, runtime) as plain commands in a temporary directory,
# with the given Node binary, then smoke-tests the runtime layout as an unprivileged user and prints
# its size. For machines where `docker build` cannot pull the base image; the Dockerfile and this
# script must stay in step (same commands, same files).
#   bash scripts/image-stages.sh [path/to/node]    # default: the node on PATH
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE="${1:-$(command -v node)}"
export PATH="$(dirname "$NODE"):$PATH"
WORK="$(mktemp -d /tmp/firebreak-image-XXXXXX)"
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
echo "== node $("$NODE" --version), stages in $WORK"

echo "== build stage"
mkdir -p "$WORK/build/scripts"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$WORK/build/"
(cd "$WORK/build" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
cp "$ROOT/tsconfig.json" "$ROOT/tsconfig.build.json" "$WORK/build/"
cp -r "$ROOT/bin" "$WORK/build/bin"
cp "$ROOT/scripts/build.js" "$WORK/build/scripts/build.js"
cp -r "$ROOT/src" "$WORK/build/src"
(cd "$WORK/build" && npm run build --silent && find dist \( -name '*.d.ts' -o -name '*.map' \) -delete)

echo "== deps stage"
mkdir -p "$WORK/deps"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$WORK/deps/"
(cd "$WORK/deps" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
unpruned=$(du -sm "$WORK/deps/node_modules" | cut -f1)
find "$WORK/deps/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o \( -name '*.md' ! -iname 'licen[cs]e*' \) \) -delete

echo "== runtime stage"
R="$WORK/runtime/opt/firebreak"
mkdir -p "$R"
cp "$ROOT/package.json" "$R/"
mv "$WORK/deps/node_modules" "$R/node_modules"
mv "$WORK/build/dist" "$R/dist"
for d in bin schema probes experiments; do cp -r "$ROOT/$d" "$R/$d"; done
chmod -R a+rX "$WORK/runtime"

echo "== smoke tests of the runtime layout, as uid 10001 (NODE_ENV=production)"
home="$WORK/home"
mkdir -p "$home" && chown 10001:10001 "$home"
as_user() { (cd "$home" && exec setpriv --reuid=10001 --regid=10001 --clear-groups env -i HOME="$home" PATH="$PATH" NODE_ENV=production "$@"); }
as_user "$NODE" "$R/bin/firebreak.js" --version
as_user "$NODE" "$R/bin/firebreak.js" validate "$R/experiments" | tail -3
cat > "$home/flag.yaml" <<'YAML'
title: image smoke test
phases: { before: 200ms, during: 400ms, after: 200ms, tick: 100ms }
hypothesis:
  probes: [{ name: flag, type: process, command: "test -f flag && echo down || echo up" }]
  tolerances: ['flag.exitCode == 0']
faults:
  - { type: process, apply: "touch flag", revert: "rm -f flag" }
YAML
chown 10001:10001 "$home/flag.yaml"
as_user "$NODE" "$R/bin/firebreak.js" run flag.yaml | head -3
test ! -e "$home/flag" || { echo "the process fault was not reverted" >&2; exit 1; }
# Backgrounded without the function (whose own fork would be `$!`): the subshell execs into the
# proxy, so `$!` is the proxy itself and the TERM below reaches it.
(cd "$home" && exec setpriv --reuid=10001 --regid=10001 --clear-groups env -i HOME="$home" PATH="$PATH" NODE_ENV=production "$NODE" "$R/bin/firebreak.js" proxy --port 0 >"$home/proxy.log" 2>&1) &
proxy=$!
for _ in $(seq 1 50); do grep -q 'listening\|8474\|http://' "$home/proxy.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$proxy"
for _ in $(seq 1 50); do kill -0 "$proxy" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$proxy" 2>/dev/null; then echo "the proxy outlived SIGTERM by 5 s" >&2; kill -KILL "$proxy"; exit 1; fi
wait "$proxy" || true
head -2 "$home/proxy.log"
echo "== sizes: runtime $(du -sm "$R" | cut -f1) MB (node_modules $(du -sm "$R/node_modules" | cut -f1) MB, $unpruned MB before pruning; dist $(du -sm "$R/dist" | cut -f1) MB)"
