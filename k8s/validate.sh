#!/usr/bin/env bash
# Validates the Kubernetes manifests in k8s/ against the Kubernetes API schemas, offline once installed:
# npm installs the pinned tools of k8s/validate/package-lock.json into k8s/.validate/ (git-ignored; again only
# when the lock changes), then k8s/validate/validate.mjs prints one line per document and per check and exits
# non-zero on any failure. Needs Node.js 18+ and npm.
#
#   bash k8s/validate.sh [K8S_DIR]     (default: this directory; another one to check a modified copy)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tools="$here/.validate"
stamp=$(cat "$here/validate/package.json" "$here/validate/package-lock.json" | sha256sum | cut -c1-16)
if [ "$(cat "$tools/.installed" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$tools"
  mkdir -p "$tools"
  cp "$here/validate/package.json" "$here/validate/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  echo "$stamp" > "$tools/.installed"
fi
# kustomize's own reading of kustomization.yaml, where kubectl is at hand (it is no requirement).
if command -v kubectl >/dev/null 2>&1; then
  if out=$(kubectl kustomize "${1:-$here}" 2>&1 >/dev/null); then
    echo "ok   kustomization.yaml: kubectl kustomize builds it"
  else
    echo "FAIL kustomization.yaml: kubectl kustomize: $out"
    node "$here/validate/validate.mjs" "$@" || true
    exit 1
  fi
fi
exec node "$here/validate/validate.mjs" "$@"
