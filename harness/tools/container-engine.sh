#!/usr/bin/env bash
# A Docker-compatible engine for `--sandbox container`, made from Debian packages alone:
# podman's Docker API (`podman system service`) on a private Unix socket, runc, vfs storage, and the
# image instanet-python:local built locally (no image registry is reachable on CI machines).
#
#   container-engine.sh run -- CMD...   start the engine if needed, run CMD with DOCKER_HOST set, stop it
#   container-engine.sh image           install what is missing and build the image (cached)
#   container-engine.sh clean           remove containers the kit left (a grader killed mid-run)
#
# Why these flags: on these machines (cgroup v1 hybrid, no systemd) podman works as root only with
# cgroupfs and runc (crun fails), plus explicit nofile/nproc ulimits per container; its storage lives in its own root so a TA's own podman set-up
# (overlay, other images) is never touched. The rootfs tarball is cached: debootstrap is the slow part.
set -euo pipefail

STATE=${INSTANET_ENGINE_STATE:-/var/lib/instanet/engine}
CACHE=${INSTANET_ENGINE_CACHE:-/var/cache/instanet}
RUNDIR=${INSTANET_ENGINE_RUN:-/run/instanet-engine}
SOCKET="$RUNDIR/podman.sock"
IMAGE=${INSTANET_CONTAINER_IMAGE:-instanet-python:local}
SUITE=${INSTANET_ENGINE_SUITE:-bookworm}
MIRROR=${INSTANET_ENGINE_MIRROR:-http://deb.debian.org/debian}
LABEL=instanet.kit=sandbox

# overlay when the kernel and the file system under $STATE allow it (a container start is then a mount);
# vfs otherwise (it copies the whole image for every container: seconds, not milliseconds).
DRIVER=${INSTANET_ENGINE_DRIVER:-}
[ -z "$DRIVER" ] && [ -s "$STATE/driver" ] && DRIVER=$(cat "$STATE/driver")
DRIVER=${DRIVER:-overlay}

podman_args() {
  echo --root "$STATE/storage-$DRIVER" --runroot "$RUNDIR/runroot-$DRIVER" --storage-driver "$DRIVER" \
    --cgroup-manager cgroupfs --runtime runc --events-backend file
}
# shellcheck disable=SC2046 # the arguments hold no spaces
podman_() { podman $(podman_args) "$@"; }

say() { printf 'container-engine: %s\n' "$*" >&2; }

install_missing() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# A minimal Debian with python3 and nothing the sandbox does not need; docs and caches go because
# vfs copies the whole tree for every container started.
build_rootfs() {
  local tarball="$CACHE/python-rootfs-$SUITE.tar"
  if [ -s "$tarball" ]; then
    echo "$tarball"
    return
  fi
  mkdir -p "$CACHE"
  local dir
  dir=$(mktemp -d "$CACHE/rootfs-XXXXXX")
  say "debootstrap --variant=minbase $SUITE (one-time, cached in $tarball)"
  if ! debootstrap --variant=minbase --include=python3 "$SUITE" "$dir" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
    tail -20 "$CACHE/debootstrap.log" >&2
    rm -rf "$dir"
    exit 1
  fi
  rm -rf "$dir"/usr/share/{doc,man,info,locale} "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* "$dir"/var/log/*
  # mktemp made it 0700: as the image's / that would lock every non-root user out of everything.
  chmod 0755 "$dir"
  tar -C "$dir" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$dir"
  echo "$tarball"
}

import_image() {
  podman_ import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' "$1" "$IMAGE" >/dev/null 2>&1 &&
    podman_ run --rm --network none --ulimit nofile=64:64 --ulimit nproc=64:64 "$IMAGE" python3 -c pass >/dev/null 2>&1
}

ensure_image() {
  install_missing
  mkdir -p "$STATE" "$RUNDIR"
  if podman_ image exists "$IMAGE" 2>/dev/null; then return; fi
  local started=$SECONDS tarball
  tarball=$(build_rootfs)
  if ! import_image "$tarball"; then
    [ "$DRIVER" = vfs ] && { say "podman cannot run $IMAGE here"; exit 1; }
    say "storage driver $DRIVER does not work here; using vfs"
    podman_ rmi -f "$IMAGE" >/dev/null 2>&1 || true
    DRIVER=vfs
    import_image "$tarball" || { say "podman cannot run $IMAGE here"; exit 1; }
  fi
  echo "$DRIVER" >"$STATE/driver"
  say "image $IMAGE ready in $((SECONDS - started)) s (storage driver $DRIVER)"
}

engine_answers() {
  [ -S "$SOCKET" ] && curl -fsS --max-time 5 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1
}

clean() {
  local ids
  ids=$(podman_ ps -aq --filter "label=$LABEL" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # one id per word
    podman_ rm -f -t 0 $ids >/dev/null 2>&1 || true
  fi
}

SERVICE_PID=
stop_service() {
  if [ -n "$SERVICE_PID" ]; then
    clean
    kill -TERM -- "-$SERVICE_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=
  fi
}

start_service() {
  if engine_answers; then return; fi
  rm -f "$SOCKET"
  # Its own process group (setsid), so stop_service ends it and conmon with it, and nothing else.
  # shellcheck disable=SC2046 # the arguments hold no spaces
  setsid podman $(podman_args) system service --time=0 "unix://$SOCKET" >"$RUNDIR/service.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 100); do
    engine_answers && return
    kill -0 "$SERVICE_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$RUNDIR/service.log" >&2
  stop_service
  say "podman system service did not answer on $SOCKET"
  exit 1
}

case "${1:-}" in
  image)
    ensure_image
    ;;
  clean)
    clean
    ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    [ "$#" -gt 0 ] || { say "usage: $0 run -- CMD..."; exit 2; }
    ensure_image
    trap stop_service EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_service
    clean
    export DOCKER_HOST="unix://$SOCKET"
    # Ryuk (testcontainers' reaper) is an image from a registry; containers are labelled and
    # removed by the kit and by `clean` instead.
    export TESTCONTAINERS_RYUK_DISABLED=true
    export INSTANET_CONTAINER_IMAGE="$IMAGE"
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    say "usage: $0 run -- CMD... | image | clean"
    exit 2
    ;;
esac
