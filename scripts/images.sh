#!/usr/bin/env bash
# Builds Sluice's container images with buildah, without a registry or a
# Docker engine (`make images`):
#   1. local bases docker.io/library/debian:12 and debian:12-slim, made with
#      debootstrap when missing (its root file systems are cached as
#      tarballs in $SLUICE_IMAGE_CACHE, so that happens once per machine);
#   2. every stage of docker/Dockerfile in one pass (its last stage, `all`,
#      depends on them all), each stage's image then named:
#      localhost/sluice-{auth,schema,storage,retention,edge,edge-tls}, and
#      localhost/sluice-build (the C++ build; unstripped binaries in /build);
#   3. localhost/sluice-mariadb (docker/mariadb.Dockerfile) for `make image-test`.
# Layers are cached (--layers): an unchanged tree rebuilds in seconds, and a
# changed source file recompiles in the build stage only.
#
# Environment: SLUICE_IMAGE_CACHE (default /var/cache/sluice), STORAGE_DRIVER
# (default vfs), SLUICE_DEBIAN_MIRROR, SLUICE_DEBIAN_SECURITY_MIRROR. Output
# of every step: build-images/images.log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SLUICE_IMAGE_CACHE:-/var/cache/sluice}
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
mirror=${SLUICE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${SLUICE_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
targets=(auth schema storage retention edge edge-tls)

start=$SECONDS
mkdir -p "$root/build-images"
logfile=$root/build-images/images.log
: >"$logfile"

log() { echo "images: $* ($((SECONDS - start)) s)"; }

# Runs a step with its output in the log; on failure shows the log's end.
logged() {  # what command...
  local what=$1
  shift
  echo "=== $what" >>"$logfile"
  if ! "$@" >>"$logfile" 2>&1; then
    echo "images: $what failed; the end of $logfile:" >&2
    tail -n 60 "$logfile" >&2
    exit 1
  fi
}

bah() { buildah --storage-driver "$STORAGE_DRIVER" "$@"; }

"$root/scripts/install-deps.sh" buildah podman debootstrap runc

# --- 1. Debian bases ---------------------------------------------------------
minbase_tar=$cache/debian-12-minbase.tar
slim_tar=$cache/debian-12-slim.tar
work=""
base_ctr=""

unmount_under() {  # dir: whatever debootstrap left mounted in it (proc, sys, dev/pts)
  local m
  awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}

cleanup() {
  if [ -n "$base_ctr" ]; then bah rm "$base_ctr" >/dev/null 2>&1 || true; fi
  if [ -n "$work" ] && [ -d "$work" ]; then
    unmount_under "$work"
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT

make_rootfs_tarballs() {
  log "debootstrap --variant=minbase bookworm (cached in $cache from now on)"
  mkdir -p "$cache"
  work=$(mktemp -d /var/tmp/sluice-rootfs.XXXXXX)
  local rootfs=$work/rootfs
  logged debootstrap debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
  unmount_under "$rootfs"

  # As in Debian's own images: the release, its updates and security in one
  # deb822 source; no host identity (the engine provides resolv.conf and the
  # host name); no package lists or downloaded packages.
  rm -f "$rootfs/etc/apt/sources.list" "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # Neither apt's binary caches of the package lists (~75 MB) nor downloaded
  # packages stay in a layer.
  cat >"$rootfs/etc/apt/apt.conf.d/90sluice-image" <<'APT'
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Keep-Downloaded-Packages "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
Acquire::Languages "none";
APT
  [ -e "$rootfs/etc/machine-id" ] && : >"$rootfs/etc/machine-id"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log \
    "$rootfs"/var/log/apt/* "$rootfs"/tmp/*
  tar --one-file-system --numeric-owner -C "$rootfs" -cf "$minbase_tar.tmp" .
  mv "$minbase_tar.tmp" "$minbase_tar"

  # debian:12-slim is the same minbase system without documentation, manual
  # pages and translations, and dpkg told to leave them out of every package
  # installed later (copyright files stay) -- what Debian's slim images drop.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90sluice-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/lintian/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  tar --one-file-system --numeric-owner -C "$rootfs" -cf "$slim_tar.tmp" .
  mv "$slim_tar.tmp" "$slim_tar"

  rm -rf --one-file-system "$work"
  work=""
}

import_base() {  # image name, rootfs tarball
  log "importing $2 as $1"
  base_ctr=$(bah from --name "sluice-base-$$" scratch)
  logged "buildah add $2" bah add "$base_ctr" "$2" /
  bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd bash --label org.opencontainers.image.description="Debian 12 minbase (debootstrap)" \
    "$base_ctr"
  logged "buildah commit $1" bah commit --rm --format docker "$base_ctr" "$1"
  base_ctr=""
}

has_image() { bah inspect --type image "$1" >/dev/null 2>&1; }

if ! has_image docker.io/library/debian:12 || ! has_image docker.io/library/debian:12-slim; then
  if [ ! -s "$minbase_tar" ] || [ ! -s "$slim_tar" ]; then
    make_rootfs_tarballs
  fi
  has_image docker.io/library/debian:12 || import_base docker.io/library/debian:12 "$minbase_tar"
  has_image docker.io/library/debian:12-slim || import_base docker.io/library/debian:12-slim "$slim_tar"
fi
log "Debian bases ready"

# --- 2. the images -------------------------------------------------------------
bud() {  # what, output file, buildah bud arguments...
  local what=$1 out=$2 t0=$SECONDS status=0
  shift 2
  echo "=== build $what" >>"$logfile"
  bah bud --isolation chroot --layers --force-rm --format docker --pull=never "$@" "$root" \
    >"$out" 2>&1 || status=$?
  cat "$out" >>"$logfile"
  if [ "$status" -ne 0 ]; then
    echo "images: building $what failed; the end of $logfile:" >&2
    tail -n 60 "$logfile" >&2
    exit 1
  fi
  log "built $what in $((SECONDS - t0)) s"
}

# One pass over docker/Dockerfile's last stage, `all`, which depends on every
# image stage: the build stage compiles once and each stage is walked once
# (with vfs a cached step still costs a copy of its file system, so a build
# per target would walk the build stage six times). Each stage's image is
# the result ("--> ID") of its last step; name those.
out=$root/build-images/bud-all.out
bud "docker/Dockerfile (every stage)" "$out" --target all -f "$root/docker/Dockerfile"
declare -A stage_image=() stage_name=()
pending=""
while IFS= read -r line; do
  if [[ $line =~ ^\[([0-9]+)/[0-9]+\]\ STEP\ 1/[0-9]+:\ FROM\ .*\ [Aa][Ss]\ ([A-Za-z0-9_.-]+)$ ]]; then
    stage_name[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  fi
  # A stage's image is the result of its last step. Stages are built when
  # a later one first needs them, so their output can come between a step
  # and its result: only a last step's own result names the stage.
  if [[ $line =~ ^\[([0-9]+)/[0-9]+\]\ STEP\ ([0-9]+)/([0-9]+): ]]; then
    if [ "${BASH_REMATCH[2]}" = "${BASH_REMATCH[3]}" ]; then
      pending=${stage_name[${BASH_REMATCH[1]}]:-}
    else
      pending=""
    fi
  elif [[ $line =~ ^--\>\ ([0-9a-f]{11,64})$ ]] && [ -n "$pending" ]; then
    stage_image[$pending]=${BASH_REMATCH[1]}
    pending=""
  fi
done <"$out"
for t in build "${targets[@]}"; do
  id=${stage_image[$t]:-}
  if [ -z "$id" ]; then
    echo "images: no image found for stage $t in $out" >&2
    exit 1
  fi
  bah tag "$id" "localhost/sluice-$t"
done
# The names must sit on the right images: each target runs its own program.
for t in "${targets[@]}"; do
  entrypoint=$(bah inspect --type image --format '{{.Docker.Config.Entrypoint}}' "localhost/sluice-$t")
  case "$t:$entrypoint" in
    edge-tls:*nginx*) ;;
    *:*"/usr/local/bin/sluice-$t"*) ;;
    *)
      echo "images: localhost/sluice-$t has entrypoint $entrypoint" >&2
      exit 1
      ;;
  esac
done
log "named localhost/sluice-build ${targets[*]/#/localhost/sluice-}"

bud localhost/sluice-mariadb "$root/build-images/bud-mariadb.out" -t localhost/sluice-mariadb -f "$root/docker/mariadb.Dockerfile"

# vfs stores every layer as a full copy: drop what an earlier build left
# behind (untagged images nothing descends from; the current images' cached
# layers all have a tagged descendant) and any working containers of ours.
logged "prune" bah rmi --prune
bah containers --format '{{.ContainerName}}' | grep -E '^sluice-base-' |
  xargs -r buildah --storage-driver "$STORAGE_DRIVER" rm >/dev/null 2>&1 || true

echo
bah images --format '{{printf "%-40s %-8s %12s" .Name .Tag .Size}}' |
  grep -E 'localhost/sluice-|library/debian' | sort
storage=$(bah info --format '{{index .store "GraphRoot"}}' 2>/dev/null || echo /var/lib/containers/storage)
echo "images: storage $storage uses $(du -sh "$storage" 2>/dev/null | cut -f1) ($STORAGE_DRIVER)"
log "done: ${targets[*]/#/localhost/sluice-} localhost/sluice-mariadb"
