#!/usr/bin/env bash
# kubectl for the Kubernetes tests, which use it as an independent client of the in-repo API test server.
# Installs Debian's kubernetes-client when no kubectl runs (a CI image may ship one already), and checks
# openssl (the test server's certificates) and unshare (the CronJob's pods simulated as namespaces).
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
kubectl version --client >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get -o DPkg::Lock::Timeout=300 update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"
fi
echo "kubectl: $(command -v kubectl) ($(kubectl version --client 2>/dev/null | head -1))"
