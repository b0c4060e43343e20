#!/usr/bin/env bash
# Assembles the base image the Dockerfile starts FROM (node:20-bookworm-slim) locally, because no registry image
# can be pulled here: a minimal Debian bookworm from this machine's Debian mirror (debootstrap --variant=minbase),
# this machine's Node.js 20 and npm where the official image keeps them (/usr/local), and user `node` (1000:1000).
# Idempotent: skipped when the image exists; the root filesystem tarball is cached outside git.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
need buildah; need debootstrap
if buildah images --format '{{.Name}}:{{.Tag}}' | grep -qx "$BASE_IMAGE"; then log "base image $BASE_IMAGE: present"; exit 0; fi
mkdir -p "$CACHE"
tarball="$CACHE/bookworm-minbase-node$(node -v).tar"
if [ ! -f "$tarball" ]; then
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d)
  log "debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >&2
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  log "Node.js $(node -v) from $node_bin, npm from $npm_dir"
  install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
fi
log "importing $tarball as $BASE_IMAGE"
ctr=$(buildah from scratch)
buildah add "$ctr" "$tarball" / >/dev/null
# This machine's trust store: its egress to the npm registry is TLS-intercepted by a local CA, which `npm ci` in the
# Dockerfile must trust (Node.js reads NODE_EXTRA_CA_CERTS; apt fetches over plain HTTP and verifies signatures).
buildah copy "$ctr" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$(node -v | tr -d v)" \
  --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt --cmd node "$ctr"
buildah commit --rm "$ctr" "$BASE_IMAGE" >/dev/null
log "base image $BASE_IMAGE: built"
