#!/usr/bin/env bash
# Gradescope autograder image set-up (Ubuntu base): Node 20, Python 3, bubblewrap, and the kit.
# Zip this folder's files together with a copy of the kit in ./instanet-kit (or let the script clone
# your course's fork) and upload the zip as the autograder.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates curl python3 bubblewrap util-linux
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y -qq nodejs
fi
cd /autograder/source/instanet-kit
npm ci --no-audit --no-fund
