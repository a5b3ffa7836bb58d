#!/usr/bin/env bash
# Builds the stapled image without any registry: for machines that reach a Debian mirror but no
# Docker registry (this project's CI). Three steps, each timed:
#   1. a local base image, stapled-base:bookworm: Debian bookworm (minbase + OpenJDK 17 JRE) made by
#      debootstrap from the mirror apt already uses, imported with `docker import`; kept if it exists
#      (--rebuild-base makes it again);
#   2. the jar, built on the host with Maven (the image's Maven stage would have to download); SKIP_JAR=1
#      takes proxy-core/target/stapled.jar as it is (.ci/run, right after `mvn verify` built it);
#   3. `docker build --target prebuilt` of docker/Dockerfile on that base, copying the jar.
# Run as root (debootstrap) from anywhere; the image is tagged stapled:local unless IMAGE says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=${BASE_IMAGE:-stapled-base:bookworm}
IMAGE=${IMAGE:-stapled:local}
SUITE=bookworm
rebuild_base=false
[ "${1:-}" = --rebuild-base ] && rebuild_base=true

# The first deb URI apt is configured with (deb822 .sources or one-line sources.list).
mirror() {
  local uri=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    uri=$(awk '/^URIs:/ && !/security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

timed() {
  local what=$1 start=$SECONDS
  shift
  "$@"
  echo "build-local: $what took $((SECONDS - start)) s"
}

# An interrupted debootstrap can leave /proc, /sys or a bind-mounted /dev inside the directory:
# unmount what is there, and never let rm cross into another file system.
rootfs=
remove_rootfs() {
  [ -n "$rootfs" ] && [ -d "$rootfs" ] || return 0
  awk -v r="$rootfs/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l || true
  rm -rf --one-file-system "$rootfs"
}
trap remove_rootfs EXIT

make_base() {
  rootfs=$(mktemp -d /tmp/stapled-rootfs.XXXXXX)
  local dir=$rootfs url
  url=$(mirror)
  echo "build-local: debootstrap $SUITE from $url"
  # Bounded: a mirror that stalls fails the build rather than hanging it (656-893 s measured here).
  timeout "${DEBOOTSTRAP_TIMEOUT:-1800}" \
    debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates "$SUITE" "$dir" "$url" \
    >/tmp/stapled-debootstrap.log 2>&1 || { tail -20 /tmp/stapled-debootstrap.log >&2; return 1; }
  # Nothing of the package manager's caches or lists in the image.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc "$dir"/usr/share/man
  tar -C "$dir" --one-file-system -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    - "$BASE_IMAGE" >/dev/null
}

if $rebuild_base || ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  timed "base image $BASE_IMAGE (debootstrap + import)" make_base
else
  echo "build-local: base image $BASE_IMAGE exists (--rebuild-base makes it again)"
fi

if [ "${SKIP_JAR:-}" = 1 ] && [ -s proxy-core/target/stapled.jar ]; then
  echo "build-local: SKIP_JAR=1: using proxy-core/target/stapled.jar as built"
else
  timed "jar (mvn package)" mvn -B -ntp -q -pl proxy-core -am package -DskipTests
fi

timed "image $IMAGE (docker build)" docker build --network host -f docker/Dockerfile --target prebuilt \
  --build-arg RUNTIME_IMAGE="$BASE_IMAGE" -t "$IMAGE" .
