#!/usr/bin/env bash
# Build the local Debian base image the tests use (no registry can be reached here):
#   debootstrap minbase + python3, python3-venv, python3-pip, ca-certificates -> docker import.
# Reused when the tag exists (about 40-90 s otherwise). Usage: scripts/base-image.sh [TAG]
set -euo pipefail

TAG="${1:-${WORKBENCH_TEST_BASE:-workbench-test/debian-python:bookworm}}"
if docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "base-image: $TAG exists"
    exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
ROOTFS="$(mktemp -d /tmp/workbench-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
echo "base-image: debootstrap bookworm into $ROOTFS"
debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$ROOTFS" >/tmp/workbench-debootstrap.log 2>&1 \
    || { echo "base-image: debootstrap failed, see /tmp/workbench-debootstrap.log" >&2; exit 1; }
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$TAG" >/dev/null
echo "base-image: imported $TAG"
