#!/bin/sh
# Stands in for LiteIO's node agents: renews the Lease of each example pool, once, or every N seconds with
# `--every N`. A pool is `ready` while its Lease was renewed in the last 3 minutes.
# Needs kubectl and KUBECONFIG (as `disk-controller dev` prints it). NAMESPACE overrides obnvmf.
set -eu
ns=${NAMESPACE:-obnvmf}
every=
if [ "${1:-}" = "--every" ]; then every=${2:?--every needs seconds}; fi
while :; do
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
  for pool in node-1 node-2 node-3; do
    kubectl -n "$ns" patch lease "$pool" --type=merge -p "{\"spec\":{\"renewTime\":\"$now\"}}" >/dev/null
  done
  echo "heartbeat: renewed the Leases of node-1 node-2 node-3 at $now"
  [ -n "$every" ] || break
  sleep "$every"
done
