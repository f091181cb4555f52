#!/usr/bin/env bash
# Benchmarks stackfit on pinned real-world corpora from the package registries.
# Not run in CI. Usage: bench/run.sh [corpus ...]   (default: all)
#   RUNS=5                  runs per measurement (median reported)
#   STACKFIT_BENCH_DIR=...  where corpora are downloaded and unpacked (outside the repo)
#   SCALE=1                 also measure 1x..8x copies of the django corpus
# Prints a Markdown report and appends it to bench/RESULTS.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=${STACKFIT_BENCH_DIR:-/tmp/stackfit-bench}
runs=${RUNS:-5}
mkdir -p "$work/dl" "$work/corpus"

# name  registry  spec
CORPORA=(
  "netbox pypi netbox==4.7.3"
  "wagtail pypi wagtail==8.0.1"
  "django pypi django==6.1.3"
  "ghost npm ghost@6.65.0"
  "parse-server npm parse-server@9.10.0"
)

fetch() {
  local name=$1 registry=$2 spec=$3 dest="$work/corpus/$1"
  [ -d "$dest" ] && return 0
  if [ "$registry" = pypi ]; then
    # Wheels for Python 3.12: netbox and Django 6 require it, and the pip
    # here may run on an older Python (it would hide those releases).
    pip download -q --no-deps --python-version 3.12 --only-binary=:all: -d "$work/dl/$name" "$spec" >&2 ||
      pip download -q --no-deps -d "$work/dl/$name" "$spec" >&2 || return 1
    mkdir -p "$dest"
    local f
    f=$(ls "$work/dl/$name"/* | head -n 1)
    case "$f" in
      *.whl|*.zip) unzip -q -o "$f" -d "$dest" ;;
      *.tar.gz) tar xzf "$f" -C "$dest" ;;
    esac
  else
    (cd "$work/dl" && npm pack -q "$spec" >/dev/null 2>&1) || return 1
    mkdir -p "$dest"
    tar xzf "$work/dl/$(echo "${spec%@*}" | tr -d '@' | tr '/' '-')-${spec##*@}.tgz" -C "$dest"
  fi
}

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# measure LABEL CMD...: runs CMD $runs times; prints "wall cpu maxrss_mb"
measure() {
  local walls=() cpus=() rss=() out
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$work/time.txt" -f "%e %U %S %M" "$@" >/dev/null 2>/dev/null || true
    out=$(tail -n 1 "$work/time.txt")
    read -r w u s m <<<"$out"
    walls+=("$w"); cpus+=("$(echo "$u + $s" | bc)"); rss+=("$m")
  done
  printf '%s %s %s\n' \
    "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(printf '%s\n' "${cpus[@]}" | median)" \
    "$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1 | awk '{printf "%.0f", $1/1024}')"
}

code_stats() { # files and MB of analysable code (what every tool is given)
  find "$1" -type f \( -name '*.py' -o -name '*.js' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.jsx' -o -name '*.ts' -o -name '*.tsx' \) ! -name '*.d.ts' -printf '%s\n' \
    | awk '{n++; b+=$1} END {printf "%d %.1f", n, b/1048576}'
}

cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/stackfit"
selected=("$@")
report=$(mktemp)
{
  echo "## $(date -u +%Y-%m-%d) — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, stackfit $("$bin" --version | awk '{print $2}') ($(git -C "$repo" rev-parse --short HEAD))"
  echo
  echo "Medians of $runs runs, whole process (\`/usr/bin/time\`), no cache (\`--no-cache\`). \"all files\" is"
  echo "\`--no-default-excludes\`: every tool sees the same files. Floor = \`--parse-only\` with the same"
  echo "excludes (walk, read, parse every file, no rules); ×floor compares each mode with its own floor."
  echo
  echo "Peer rows: the last column is stackfit's wall time on all files divided by the peer's (< 1: stackfit"
  echo "is faster)."
  echo
  echo "| corpus | files / MB | mode | wall s | cpu s | peak MB | MB/s | findings | ×floor |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$report"

for entry in "${CORPORA[@]}"; do
  read -r name registry spec <<<"$entry"
  if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " =~ " $name " ]]; then continue; fi
  if ! fetch "$name" "$registry" "$spec"; then
    echo "| $spec | not available from the registry here | | | | | | | |" >>"$report"
    continue
  fi
  dir="$work/corpus/$name"
  read -r nfiles mb <<<"$(code_stats "$dir")"
  for mode in default all; do
    flags=(--no-cache --fail-on never --format json --output "$work/out.json")
    [ "$mode" = all ] && flags+=(--no-default-excludes)
    read -r fw fc fm <<<"$(measure "$bin" check "${flags[@]}" --parse-only "$dir")"
    printf '| %s | %s / %s | floor (%s) | %s | %s | %s | %s | – | 1.00 |\n' "$spec" "$nfiles" "$mb" "$mode" "$fw" "$fc" "$fm" \
      "$(echo "$mb / $fw" | bc -l | xargs printf '%.1f')" >>"$report"
    read -r w c m <<<"$(measure "$bin" check "${flags[@]}" "$dir")"
    [ "$mode" = all ] && w_all=$w
    n=$(python3 -c "import json;print(json.load(open('$work/out.json'))['summary']['findings'])")
    printf '| %s | %s / %s | %s | %s | %s | %s | %s | %s | %s |\n' "$spec" "$nfiles" "$mb" "$mode" "$w" "$c" "$m" \
      "$(echo "$mb / $w" | bc -l | xargs printf '%.1f')" "$n" "$(echo "$w / $fw" | bc -l | xargs printf '%.2f')" >>"$report"
  done
  # Peers, when installed, on the same files.
  if [ "$registry" = pypi ] && command -v ruff >/dev/null; then
    read -r w c m <<<"$(measure ruff check --no-cache --select S,DJ,ASYNC --exit-zero --quiet "$dir")"
    printf '| %s | | ruff S,DJ,ASYNC | %s | %s | %s | | | %s |\n' "$spec" "$w" "$c" "$m" "$(echo "$w_all / $w" | bc -l | xargs printf 'stackfit ×%.2f')" >>"$report"
  fi
  if [ "$registry" = pypi ] && command -v bandit >/dev/null; then
    read -r w c m <<<"$(measure bandit -r -q "$dir")"
    printf '| %s | | bandit | %s | %s | %s | | | %s |\n' "$spec" "$w" "$c" "$m" "$(echo "$w_all / $w" | bc -l | xargs printf 'stackfit ×%.2f')" >>"$report"
  fi
  if command -v semgrep >/dev/null; then
    read -r w c m <<<"$(measure semgrep scan --metrics off --disable-version-check --quiet --config "$here/peers/semgrep.yml" "$dir")"
    printf '| %s | | semgrep (5 local rules) | %s | %s | %s | | | %s |\n' "$spec" "$w" "$c" "$m" "$(echo "$w_all / $w" | bc -l | xargs printf 'stackfit ×%.2f')" >>"$report"
  fi
  if [ "$registry" = npm ] && command -v oxlint >/dev/null; then
    read -r w c m <<<"$(measure oxlint --quiet "$dir")"
    printf '| %s | | oxlint | %s | %s | %s | | | %s |\n' "$spec" "$w" "$c" "$m" "$(echo "$w_all / $w" | bc -l | xargs printf 'stackfit ×%.2f')" >>"$report"
  fi
done

if [ "${SCALE:-0}" = 1 ]; then
  fetch django pypi django==6.1.3
  {
    echo
    echo "Scale: N copies of django==6.1.3 side by side, all rules, no cache."
    echo
    echo "| copies | files | wall s | peak MB |"
    echo "|---|---|---|---|"
  } >>"$report"
  for n in 1 2 4 8; do
    scaled="$work/scale-$n"
    if [ ! -d "$scaled" ]; then
      mkdir -p "$scaled"
      for i in $(seq "$n"); do cp -r "$work/corpus/django" "$scaled/copy$i"; done
    fi
    read -r nfiles _ <<<"$(code_stats "$scaled")"
    read -r w _ m <<<"$(measure "$bin" check --no-cache --fail-on never "$scaled")"
    echo "| $n | $nfiles | $w | $m |" >>"$report"
  done
fi

cat "$report"
{ echo; cat "$report"; } >>"$here/RESULTS.md"
