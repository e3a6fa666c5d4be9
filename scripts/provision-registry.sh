#!/usr/bin/env bash
# Install Debian's docker-registry (the distribution registry) for the whole-image tests; the
# tests start it themselves on 127.0.0.1 with their own config, never the system service.
# Idempotent: does nothing when the binary is there.
set -euo pipefail

if command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ]; then
    echo "provision-registry: docker-registry present"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "provision-registry: docker-registry missing and we are not root; apt-get install -y docker-registry" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
echo "provision-registry: installed docker-registry"
