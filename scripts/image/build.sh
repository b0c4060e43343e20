#!/usr/bin/env bash
# Builds the project's Dockerfile with buildah (no daemon), from the local base image (never pulled), with layer
# caching so an unchanged step is not run again. Tag: localhost/disk-controller-temporal:dev.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
need buildah
"$here/build-base.sh"
cd "$here/../.."
log "building $IMAGE from the Dockerfile"
buildah bud --pull-never --layers --isolation chroot --network host -t "$IMAGE" -f Dockerfile . >&2
log "built $IMAGE"
# vfs stores every layer as a full copy: drop what no tag uses (older builds), so repeated CI runs do not fill the
# disk. The next build's `npm ci` layer is rebuilt (about a minute) instead of reused.
buildah rmi --prune >/dev/null 2>&1 || true
