#!/usr/bin/env bash
# Prints the cache directory that holds the Go-built binaries (outside git).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.sh"
echo "${DC_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/disk-controller-temporal}/temporal-$TEMPORAL_CLI_VERSION-k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
