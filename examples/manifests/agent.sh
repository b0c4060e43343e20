#!/bin/sh
# Stands in for LiteIO's node agents, which this example has none of. For each example pool it does what an agent
# does: reports the data plane healthy in the pool's status (conditions Spdk and Lvm OK — remote volumes need a
# healthy SPDK target) and renews the pool's Lease, its heartbeat. Once, or every N seconds with `--every N`
# (a pool is `ready` while its Lease was renewed in the last 3 minutes).
# Needs kubectl and KUBECONFIG (as `disk-controller dev` prints it). NAMESPACE overrides obnvmf.
set -eu
ns=${NAMESPACE:-obnvmf}
pools="node-1 node-2 node-3"
every=
if [ "${1:-}" = "--every" ]; then every=${2:?--every needs seconds}; fi
for pool in $pools; do
  kubectl -n "$ns" patch storagepool "$pool" --subresource=status --type=merge \
    -p '{"status":{"conditions":[{"type":"Spdk","status":"OK"},{"type":"Lvm","status":"OK"}]}}' >/dev/null
done
echo "agent: reported Spdk and Lvm OK on $pools"
while :; do
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
  for pool in $pools; do
    kubectl -n "$ns" patch lease "$pool" --type=merge -p "{\"spec\":{\"renewTime\":\"$now\"}}" >/dev/null
  done
  echo "agent: renewed the Leases of $pools at $now"
  [ -n "$every" ] || break
  sleep "$every"
done
