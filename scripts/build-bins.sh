#!/usr/bin/env bash
# Builds the test/dev control-plane binaries from Go modules into a cache outside git:
#   temporal (Temporal CLI v1.5.1), kube-apiserver (v1.34.x), etcd (v3.6.x),
#   temporal-server + temporal-sql-tool (v1.29.x) with the PostgreSQL schema (target `server`), kubectl (v1.34.x).
# Idempotent: a binary that exists is not rebuilt. Honours TEMPORAL_CLI_PATH and KUBEBUILDER_ASSETS
# (when they point at existing binaries nothing is built for them).
# Prints nothing but progress on stderr; the cache path is printed by scripts/bin-dir.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.sh"
OUT=$("$here/bin-dir.sh")
export GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$OUT"
log() { printf '[build-bins] %s\n' "$*" >&2; }

build_temporal() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then log "temporal: using TEMPORAL_CLI_PATH"; return; fi
  [ -x "$OUT/temporal" ] && { log "temporal: cached"; return; }
  log "temporal: building CLI v$TEMPORAL_CLI_VERSION (cold build takes minutes)"
  GOBIN="$OUT/.gobin-tmp" go install -trimpath \
    -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
    "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION"
  mv "$OUT/.gobin-tmp/temporal" "$OUT/temporal"; rmdir "$OUT/.gobin-tmp"
}

# Builds one command of k8s.io/kubernetes (cmd/<name>) at $K8S_VERSION into $OUT/<name>, in a throwaway module
# that pins the staging modules to their published versions.
build_k8s_cmd() {
  local name=$1 w; w=$(mktemp -d)
  ( cd "$w"
    printf 'module localtest/k8sbins\n\ngo 1.24.0\n' > go.mod
    gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | node -pe 'JSON.parse(require("fs").readFileSync(0)).GoMod')
    go mod edit -go="$(sed -n 's/^go //p' "$gomod")"
    gd=$(sed -n 's/^godebug //p' "$gomod"); [ -n "$gd" ] && go mod edit -godebug="$gd"
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod"); do
      go mod edit -replace="$m=$m@v0.${K8S_VERSION#1.}"
    done
    go get "k8s.io/kubernetes/cmd/$name@v$K8S_VERSION"
    minor=$(echo "$K8S_VERSION" | cut -d. -f2)
    go build -trimpath -o "$OUT/$name.tmp" -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean \
      -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION \
      -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor" \
      "k8s.io/kubernetes/cmd/$name" )
  mv "$OUT/$name.tmp" "$OUT/$name"; rm -rf "$w"
}

build_apiserver() {
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ]; then log "kube-apiserver: using KUBEBUILDER_ASSETS"; return; fi
  [ -x "$OUT/kube-apiserver" ] && { log "kube-apiserver: cached"; return; }
  log "kube-apiserver: building v$K8S_VERSION (cold build takes 10-20 minutes on 2 cores)"
  build_k8s_cmd kube-apiserver
}

# kubectl: the README's newcomer path applies examples/manifests with it, and a test runs those commands.
build_kubectl() {
  if [ -n "${KUBECTL_PATH:-}" ] && [ -x "$KUBECTL_PATH" ]; then log "kubectl: using KUBECTL_PATH"; return; fi
  [ -x "$OUT/kubectl" ] && { log "kubectl: cached"; return; }
  log "kubectl: building v$K8S_VERSION (a few minutes once kube-apiserver's dependencies are built)"
  build_k8s_cmd kubectl
}

build_etcd() {
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then log "etcd: using KUBEBUILDER_ASSETS"; return; fi
  [ -x "$OUT/etcd" ] && { log "etcd: cached"; return; }
  log "etcd: building v$ETCD_VERSION"
  local e; e=$(mktemp -d)
  ( cd "$e"
    printf 'module localtest/etcdbin\n\ngo 1.24\n' > go.mod
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
    go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3 )
  mv "$OUT/etcd.tmp" "$OUT/etcd"; rm -rf "$e"
}

# temporal-server + temporal-sql-tool (go.temporal.io/server) and its PostgreSQL v12 schema directory,
# copied from the module cache to $OUT/temporal-schema/postgresql/v12. Honours TEMPORAL_SERVER_PATH.
build_server() {
  if [ -n "${TEMPORAL_SERVER_PATH:-}" ] && [ -x "$TEMPORAL_SERVER_PATH" ]; then log "temporal-server: using TEMPORAL_SERVER_PATH"; return; fi
  if [ -x "$OUT/temporal-server" ] && [ -x "$OUT/temporal-sql-tool" ] && [ -d "$OUT/temporal-schema/postgresql/v12" ]; then
    log "temporal-server: cached"; return
  fi
  log "temporal-server: building v$TEMPORAL_SERVER_VERSION (cold build takes minutes)"
  local w; w=$(mktemp -d)
  ( cd "$w"
    printf 'module localtest/temporalserver\n\ngo 1.24\n' > go.mod
    info=$(go mod download -json "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION")
    gomod=$(printf '%s' "$info" | node -pe 'JSON.parse(require("fs").readFileSync(0)).GoMod')
    dir=$(printf '%s' "$info" | node -pe 'JSON.parse(require("fs").readFileSync(0)).Dir')
    go mod edit -go="$(sed -n 's/^go //p' "$gomod")"
    # carry over non-local replace directives (single-line and block form)
    sed -n -e 's#^replace[[:space:]]\+\([^ ]\+\)\( [^ =]*\)\? => \([^ .][^ ]*\) \([^ ]\+\)$#\1=\3@\4#p' \
           -e 's#^[[:space:]]\+\([^ ]\+\)\( [^ =]*\)\? => \([^ .][^ ]*\) \([^ ]\+\)$#\1=\3@\4#p' "$gomod" |
      while read -r r; do go mod edit -replace="$r"; done
    go get "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
    go build -trimpath -ldflags "-s -w" -o "$OUT/temporal-server.tmp" go.temporal.io/server/cmd/server
    go build -trimpath -ldflags "-s -w" -o "$OUT/temporal-sql-tool.tmp" go.temporal.io/server/cmd/tools/sql
    rm -rf "$OUT/temporal-schema.tmp"; mkdir -p "$OUT/temporal-schema.tmp/postgresql"
    cp -r "$dir/schema/postgresql/v12" "$OUT/temporal-schema.tmp/postgresql/v12"
    chmod -R u+w "$OUT/temporal-schema.tmp" )
  mv "$OUT/temporal-server.tmp" "$OUT/temporal-server"; mv "$OUT/temporal-sql-tool.tmp" "$OUT/temporal-sql-tool"
  rm -rf "$OUT/temporal-schema"; mv "$OUT/temporal-schema.tmp" "$OUT/temporal-schema"; rm -rf "$w"
}

case "${1:-all}" in
  temporal) build_temporal ;;
  apiserver) build_apiserver ;;
  etcd) build_etcd ;;
  server) build_server ;;
  kubectl) build_kubectl ;;
  all) build_temporal; build_etcd; build_apiserver; build_server; build_kubectl ;;
  *) echo "usage: $0 [all|temporal|apiserver|etcd|server|kubectl]" >&2; exit 2 ;;
esac
