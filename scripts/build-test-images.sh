#!/usr/bin/env bash
# Builds firebreak-test/busybox:latest (test/fixtures/images/busybox/Dockerfile) FROM scratch with the
# static busybox binary, so the Docker tests need no image registry. Idempotent: an image built from
# the same binary and Dockerfile is left as it is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${FIREBREAK_TEST_IMAGE:-firebreak-test/busybox:latest}"
BUSYBOX="${FIREBREAK_BUSYBOX:-/bin/busybox}"

if [ ! -x "$BUSYBOX" ] || ! "$BUSYBOX" --list 2>/dev/null | grep -x httpd >/dev/null; then
  echo "$BUSYBOX is missing or has no httpd applet: install busybox-static" >&2
  exit 1
fi
if ! file_type="$(od -An -c -N4 "$BUSYBOX" | tr -d ' ')" || [ "$file_type" != '177ELF' ]; then
  echo "$BUSYBOX is not an ELF binary" >&2
  exit 1
fi

DOCKERFILE="$ROOT/test/fixtures/images/busybox/Dockerfile"
# The image is labelled with a digest of what it is made of: same binary and Dockerfile, no rebuild.
digest="$(cat "$BUSYBOX" "$DOCKERFILE" | sha256sum | cut -c1-16)"
current="$(timeout 30 docker image inspect --format '{{ index .Config.Labels "firebreak.busybox" }}' "$IMAGE" 2>/dev/null || true)"
if [ "$current" = "$digest" ]; then
  echo "$IMAGE is up to date"
  exit 0
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$DOCKERFILE" "$ctx/Dockerfile"
cp "$BUSYBOX" "$ctx/busybox"
# The legacy builder needs nothing from a registry for FROM scratch.
if ! out="$(DOCKER_BUILDKIT=0 timeout 120 docker build -q --build-arg "BUSYBOX_DIGEST=$digest" -t "$IMAGE" "$ctx" 2>&1)"; then
  echo "building $IMAGE failed:" >&2
  echo "$out" >&2
  exit 1
fi
echo "built $IMAGE"
