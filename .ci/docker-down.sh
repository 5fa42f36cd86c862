#!/usr/bin/env bash
# Removes every container and network labelled firebreak.test, then stops the dockerd that
# docker-up.sh started (and only that one, by its pid file).
set -uo pipefail

STATE_DIR="${FIREBREAK_CI_STATE:-/tmp/firebreak-ci}"
PID_FILE="$STATE_DIR/dockerd.pid"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if timeout 5 docker version >/dev/null 2>&1; then
  containers="$(timeout 30 docker ps -aq --filter label=firebreak.test)"
  if [ -n "$containers" ]; then
    # shellcheck disable=SC2086
    timeout 60 docker rm -f $containers >/dev/null && echo "removed test containers"
  fi
  networks="$(timeout 30 docker network ls -q --filter label=firebreak.test)"
  if [ -n "$networks" ]; then
    # shellcheck disable=SC2086
    timeout 60 docker network rm $networks >/dev/null && echo "removed test networks"
  fi
fi

if [ -f "$PID_FILE" ]; then
  pid="$(cat "$PID_FILE")"
  if as_root kill -0 "$pid" 2>/dev/null; then
    echo "stopping dockerd (pid $pid)"
    as_root kill -TERM "$pid"
    for _ in $(seq 1 30); do
      as_root kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    if as_root kill -0 "$pid" 2>/dev/null; then
      echo "dockerd did not stop in 30s; sending SIGKILL" >&2
      as_root kill -KILL "$pid"
    fi
  fi
  as_root rm -f "$PID_FILE"
fi
exit 0
