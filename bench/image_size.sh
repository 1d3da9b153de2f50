#!/usr/bin/env bash
# The autograder image's size as built (otter-grader is in the `author` extra, so grading installs leave it
# out) and with otter-grader installed on top, as a grading install had it before: otter-grader at the venv's
# version, its wheels for the image's Python (3.11) held to the image's pins (build/wheelhouse/requirements.txt),
# installed offline in a container of the image, committed, measured, removed.
# Usage: bench/image_size.sh [IMAGE]   (default autograder:ci; .ci/docker builds it and build/wheelhouse)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${1:-autograder:ci}
VENV_PY=${VENV_PYTHON:-.venv/bin/python}
WH=build/wheelhouse OTTER=build/otter-wheels
version=$("$VENV_PY" -c 'import importlib.metadata as m; print(m.version("otter-grader"))')

mkdir -p "$OTTER"
plat=()
for v in {28..17}; do plat+=(--platform "manylinux_2_${v}_x86_64"); done
"$VENV_PY" -m pip download -q -d "$OTTER" --only-binary=:all: --implementation cp --python-version 3.11 \
  --abi cp311 "${plat[@]}" --platform manylinux2014_x86_64 --platform linux_x86_64 --find-links "$WH" \
  -c "$WH/requirements.txt" "otter-grader==$version" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)

container=$(docker create --network none -v "$PWD/$WH":/wheels:ro -v "$PWD/$OTTER":/otter:ro "$IMAGE" \
  pip install -q --no-cache-dir --disable-pip-version-check --no-index --find-links /wheels --find-links /otter \
  -c /wheels/requirements.txt "otter-grader==$version")
trap 'docker rm -f "$container" >/dev/null; docker rmi -f "$IMAGE-otter" >/dev/null 2>&1 || true' EXIT
docker start -a "$container"
docker commit "$container" "$IMAGE-otter" >/dev/null

size() { docker image inspect -f '{{.Size}}' "$1"; }
without=$(size "$IMAGE") with=$(size "$IMAGE-otter")
awk -v a="$without" -v b="$with" -v v="$version" 'BEGIN {
  printf "image without otter-grader: %.0f MB (%d bytes)\n", a / 1e6, a
  printf "image with otter-grader %s: %.0f MB (%d bytes)\n", v, b / 1e6, b
  printf "otter-grader adds %.0f MB (%.1f%%)\n", (b - a) / 1e6, 100 * (b - a) / a }'
packages() { docker run --rm --network none "$1" pip list --format=freeze --disable-pip-version-check | sort; }
added=$(comm -13 <(packages "$IMAGE") <(packages "$IMAGE-otter"))
echo "packages otter-grader adds ($(wc -l <<<"$added")): $(tr '\n' ' ' <<<"$added")"
