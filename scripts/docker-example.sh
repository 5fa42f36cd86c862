#!/usr/bin/env bash
# Runs experiments/docker-kill-replicas.yaml against three real containers on this machine's Docker
# engine: builds the FROM-scratch busybox image, starts three httpd replicas on 127.0.0.1:18081-18083
# (host network), runs the experiment, and removes the containers whatever happens.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE=firebreak-test/busybox:latest
LABEL=app=firebreak-example-web

"$ROOT/scripts/build-test-images.sh" >/dev/null
cleanup() { docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null; }
trap cleanup EXIT
cleanup
for i in 1 2 3; do
  port=$((18080 + i))
  docker run -d --name "firebreak-example-web-$i" --label "$LABEL" --network host "$IMAGE" \
    sh -c "mkdir -p /www && echo replica-$i > /www/index.html && exec httpd -f -p 127.0.0.1:$port -h /www" >/dev/null
done
for i in 1 2 3; do
  for _ in $(seq 1 50); do
    if (exec 3<>/dev/tcp/127.0.0.1/$((18080 + i))) 2>/dev/null; then break; fi
    sleep 0.1
  done
done
cd "$ROOT"
set +e
node bin/firebreak.js run experiments/docker-kill-replicas.yaml "$@"
status=$?
exit $status
