#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's own samples: the source
# files of fixtures/ and tests/odd-but-valid/ (TypeScript also seeds tsx).
# Files above the fuzzers' -max_len (8 KiB) are left out. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
seed() { # target, find -name patterns...
  local target=$1 dir=fuzz/corpus/$1
  shift
  mkdir -p "$dir"
  find fixtures tests/odd-but-valid -type f \( "$@" \) ! -name '*.d.ts' -size -8k -print0 |
    while IFS= read -r -d '' f; do cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done
  echo "$target: $(ls "$dir" | wc -l) files"
}
seed python -name '*.py'
seed javascript -name '*.js' -o -name '*.jsx' -o -name '*.mjs' -o -name '*.cjs'
seed typescript -name '*.ts'
seed tsx -name '*.tsx' -o -name '*.ts'
