#!/usr/bin/env bash
# Checks the built image without servers: its configuration (non-root user, entrypoint, workdir), what is inside
# (workflow bundle, config, CRDs; no dev dependencies), and that it starts: the CLI's usage and Temporal's native
# core loading, run inside the image as its own user. Prints "ok <what>" per check; exits non-zero on the first
# failure, naming it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
need buildah
fail() { echo "image check failed: $*" >&2; exit 1; }
cfg() { buildah inspect --type image --format "$1" "$IMAGE"; }
[ "$(cfg '{{.OCIv1.Config.User}}')" = node ] || fail "User is '$(cfg '{{.OCIv1.Config.User}}')', expected node (non-root)"; echo "ok user node (non-root)"
[ "$(cfg '{{.OCIv1.Config.Entrypoint}}')" = '[node dist/src/cli.js]' ] || fail "Entrypoint is $(cfg '{{.OCIv1.Config.Entrypoint}}')"; echo "ok entrypoint node dist/src/cli.js"
[ "$(cfg '{{.OCIv1.Config.WorkingDir}}')" = /app ] || fail "WorkingDir is '$(cfg '{{.OCIv1.Config.WorkingDir}}')'"; echo "ok workdir /app"
ctr=$(buildah from --pull-never "$IMAGE")
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
in_image() { buildah run --isolation chroot --user node "$ctr" -- "$@"; }
in_image test -s /app/dist/workflow-bundle.js || fail "no /app/dist/workflow-bundle.js"; echo "ok workflow bundle prebuilt ($(in_image stat -c %s /app/dist/workflow-bundle.js) bytes)"
in_image test -f /app/config/default.yaml || fail "no /app/config/default.yaml"; echo "ok config/default.yaml"
in_image sh -c 'ls /app/deploy/crds/*.yaml >/dev/null' || fail "no CRDs in /app/deploy/crds"; echo "ok deploy/crds"
for dev in typescript mocha fast-check esbuild; do
  if in_image test -e "/app/node_modules/$dev" 2>/dev/null; then fail "dev dependency $dev is in the image"; fi
done; echo "ok no dev dependencies (typescript, mocha, fast-check, esbuild absent)"
# client-node's tree-shaken bundle, not tsc's plain re-export of the whole package (scripts/bundle-client-node.ts).
in_image head -c 100 /app/dist/src/kube/client-node.js | grep -q createRequire || fail "/app/dist/src/kube/client-node.js is not the client-node bundle"
echo "ok client-node bundled ($(in_image stat -c %s /app/dist/src/kube/client-node.js) bytes)"
in_image sh -c 'cd /app && node dist/src/cli.js --help' | grep -q '^  operator ' || fail "the CLI's usage does not list operator"; echo "ok node dist/src/cli.js --help runs as user node"
in_image sh -c "cd /app && node --input-type=module -e \"await import('@temporalio/worker'); console.log('loaded')\"" | grep -q loaded || fail "Temporal's native core does not load"
echo "ok Temporal's native core loads (glibc base)"
