#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu 22.04 base (Python 3.10): the grader goes into
# the venv /autograder/venv. pip's own environment variables apply, e.g. an offline install with
# PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels.
set -euo pipefail
cd "$(dirname "$0")"

if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt
/autograder/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps ./autograder-*.whl

# Student code runs as `student`; it can read the venv, not the grader's files.
id student >/dev/null 2>&1 || useradd --system --uid 64000 --user-group --no-create-home --home-dir /nonexistent \
  --shell /usr/sbin/nologin student
mkdir -p /autograder/results
chmod 0755 /autograder /autograder/venv
chown -R root:root /autograder/source /autograder/results
chmod 0700 /autograder/source /autograder/results
