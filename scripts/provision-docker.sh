#!/usr/bin/env bash
# Make sure a Docker engine answers; on Debian as root, install and start one if not.
# Idempotent: does nothing when `docker info` already works.
set -euo pipefail

if docker info >/dev/null 2>&1; then
    echo "provision-docker: engine already answering"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "provision-docker: no engine answers and we are not root; start one yourself" >&2
    exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
    echo "provision-docker: installing docker.io"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
    echo "provision-docker: starting dockerd"
    nohup dockerd >/var/log/workbench-dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
    if [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1; then
        echo "provision-docker: engine ready"
        exit 0
    fi
    sleep 1
done
echo "provision-docker: dockerd did not answer within 60 s; see /var/log/workbench-dockerd.log" >&2
exit 1
