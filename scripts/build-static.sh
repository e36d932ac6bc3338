#!/bin/sh
# Builds the static hookbench binary (no cgo, no libc). The container image,
# CI and release builds all run this script, so they build the same way.
#
#   scripts/build-static.sh [OUTPUT]        default OUTPUT: bin/hookbench
#
# VERSION (a release tag, v0.x.y), COMMIT and DATE override what the binary
# reports in hookbench version. Without them, COMMIT and DATE come from git
# when the source is a checkout (DATE is the commit time, so the same commit
# builds the same binary), and VERSION from the Go build info.
set -eu

out="${1:-bin/hookbench}"
case "$out" in
/*) ;;
*) out="$PWD/$out" ;;
esac
cd "$(dirname "$0")/.."

version="${VERSION:-}"
commit="${COMMIT:-}"
date="${DATE:-}"
if [ -z "$commit" ] && git rev-parse --verify -q HEAD >/dev/null 2>&1; then
  commit=$(git rev-parse HEAD)
  if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    commit="$commit+dirty"
  fi
  if [ -z "$date" ]; then
    date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)
  fi
fi

CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date" \
  -o "$out" ./cmd/hookbench
