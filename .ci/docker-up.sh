#!/usr/bin/env bash
# Brings up a local Docker engine for the Docker driver tests: installs docker.io and busybox-static
# when missing, starts dockerd in the background when no engine answers, waits for the socket, and
# builds the test images. Safe to run more than once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${FIREBREAK_CI_STATE:-/tmp/firebreak-ci}"
SOCK="${FIREBREAK_DOCKER_SOCK:-/var/run/docker.sock}"
WAIT_SECONDS="${FIREBREAK_DOCKER_WAIT:-60}"
mkdir -p "$STATE_DIR"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
has_httpd_applet() {
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -x httpd >/dev/null
}
has_httpd_applet || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  # Another apt run may hold the dpkg lock for a while: wait for it rather than fail.
  as_root apt-get -o DPkg::Lock::Timeout=300 update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"
fi

engine_answers() {
  timeout 5 docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

if engine_answers; then
  echo "docker engine already answers on $SOCK"
else
  echo "starting dockerd (log: $STATE_DIR/dockerd.log)"
  as_root bash -c "nohup dockerd --host 'unix://$SOCK' >'$STATE_DIR/dockerd.log' 2>&1 & echo \$! >'$STATE_DIR/dockerd.pid'"
  deadline=$((SECONDS + WAIT_SECONDS))
  until [ -S "$SOCK" ] && engine_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "dockerd did not answer on $SOCK within ${WAIT_SECONDS}s; last log lines:" >&2
      tail -n 30 "$STATE_DIR/dockerd.log" >&2 || true
      exit 1
    fi
    if ! kill -0 "$(cat "$STATE_DIR/dockerd.pid")" 2>/dev/null; then
      echo "dockerd exited; last log lines:" >&2
      tail -n 30 "$STATE_DIR/dockerd.log" >&2 || true
      exit 1
    fi
    sleep 1
  done
  echo "dockerd is up (pid $(cat "$STATE_DIR/dockerd.pid"))"
fi

"$ROOT/scripts/build-test-images.sh"
