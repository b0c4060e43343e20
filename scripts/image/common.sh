# Shared settings of the image scripts (sourced). No registry is reachable here and no Docker daemon runs, so
# images are built with buildah from Debian's packages: `chroot` isolation (no container runtime needed) and the
# `vfs` storage driver (no overlay mounts inside this sandbox; slower, but it works everywhere).
BASE_IMAGE=docker.io/library/node:20-bookworm-slim
IMAGE=localhost/disk-controller-temporal:dev
CACHE=${DC_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/disk-controller-temporal}/image
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
log() { printf '[image] %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "$1 not found: apt-get install -y --no-install-recommends buildah debootstrap" >&2; exit 2; }; }
