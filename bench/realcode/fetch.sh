#!/usr/bin/env bash
# Downloads and unpacks the pinned triage projects (projects.tsv) from the
# package registries into $STACKFIT_REALCODE_DIR (default /tmp/stackfit-realcode),
# outside the repository. Not run in CI. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${STACKFIT_REALCODE_DIR:-/tmp/stackfit-realcode}
mkdir -p "$work/dl" "$work/src"
while IFS=$'\t' read -r name registry spec _flags; do
  case "$name" in ''|'#'*) continue ;; esac
  dest="$work/src/$name"
  [ -d "$dest" ] && continue
  mkdir -p "$work/dl/$name"
  if [ "$registry" = pypi ]; then
    pip download -q --no-deps -d "$work/dl/$name" "$spec" >&2
  else
    (cd "$work/dl/$name" && npm pack -q "$spec" >/dev/null)
  fi
  f=$(ls "$work/dl/$name"/* | head -n 1)
  mkdir -p "$dest.tmp"
  case "$f" in
    *.whl|*.zip) unzip -q -o "$f" -d "$dest.tmp" ;;
    *.tar.gz|*.tgz) tar xzf "$f" -C "$dest.tmp" ;;
  esac
  mv "$dest.tmp" "$dest"
  echo "fetched $name ($spec)" >&2
done < "$here/projects.tsv"
