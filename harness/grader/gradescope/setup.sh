#!/usr/bin/env bash
# Gradescope autograder image set-up (Ubuntu base): Node 20, Python 3, bubblewrap, and the kit.
# `instanet gradescope build --out DIR [--rubric course.yaml]` zips it with run_autograder and the kit
# (./instanet-kit); upload DIR/autograder.zip as the assignment's autograder.
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
