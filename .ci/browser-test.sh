#!/usr/bin/env bash
# Renders the HTML report of fixtures/express-api in headless Chromium (Debian's
# `chromium` package) and checks the rendered page: charts and findings are in
# the DOM, the page's script ran to its end, the page wrote nothing to the
# console (no error, no Content-Security-Policy violation, no blocked load),
# filters given in the address apply, and without scripting every finding is
# shown with the filter bar hidden. Leaves the report, DOM dumps and a
# screenshot in $BROWSER_TEST_OUT (default: a temporary directory).
# Needs ./target/debug/stackfit (cargo build).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version 2>/dev/null

out=${BROWSER_TEST_OUT:-$(mktemp -d)}
mkdir -p "$out"
report="$out/express-api.html"
./target/debug/stackfit check --format html --output "$report" --fail-on never fixtures/express-api
./target/debug/stackfit check --format json --output "$out/express-api.json" --fail-on never fixtures/express-api
# summary.findings (the profile also carries rule ids, so don't count "rule_id").
expected=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"]["findings"])' "$out/express-api.json")
echo "report: $report ($(wc -c < "$report") bytes, $expected findings)"

chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" "$@"
}
fail() { echo "browser test: $*" >&2; exit 1; }
count() { grep -o "$1" "$2" | wc -l; }

# 1. The page as a reader opens it.
start=$(date +%s%N)
chrome --enable-logging=stderr --v=0 --dump-dom "file://$report" > "$out/dom.html" 2> "$out/chromium.log"
echo "loaded and dumped in $(( ($(date +%s%N) - start) / 1000000 )) ms"
grep -q '<html lang="en" data-js="ok">' "$out/dom.html" || fail "the report's script did not run to its end"
[ "$(count '<svg class="chart' "$out/dom.html")" -ge 4 ] || fail "fewer than 4 charts in the DOM"
grep -q 'aria-label="findings by severity"' "$out/dom.html" || fail "no severity chart"
grep -q 'aria-label="files with the most findings"' "$out/dom.html" || fail "no hot-spot chart"
found=$(count '<article class="finding' "$out/dom.html")
[ "$found" -eq "$expected" ] || fail "$found findings in the DOM, the JSON report has $expected"
grep -q '<mark>eval(expression)</mark>' "$out/dom.html" || fail "no highlighted snippet"
grep -q 'id="rule-node-eval"' "$out/dom.html" || fail "no rule documentation"
grep -q '<div class="filters card" id="filters">' "$out/dom.html" || fail "the filter bar was not shown"
if grep -E ':CONSOLE' "$out/chromium.log"; then
  fail "the page wrote to the console (errors, CSP violations or blocked loads above)"
fi

# 2. Filters from the address: only the findings of reports.js stay visible.
chrome --enable-logging=stderr --v=0 --dump-dom "file://$report#filter?path=reports.js&sev=error" \
  > "$out/dom-filtered.html" 2> "$out/chromium-filtered.log"
grep -q 'data-path="src/routes/calc.js" open="" hidden=""' "$out/dom-filtered.html" \
  || fail "the path filter did not hide calc.js"
grep -Eq '<output id="f-count">[0-9]+ of [0-9]+ findings</output>' "$out/dom-filtered.html" \
  || fail "the filtered count is not shown"
if grep -E ':CONSOLE' "$out/chromium-filtered.log"; then fail "console output with filters"; fi

# 3. Without scripting (the page with its one script removed, since headless
# --dump-dom itself needs scripting): everything visible, the filter bar hidden.
perl -0pe 's{<script nonce="[0-9a-f]+">.*?</script>}{}s' "$report" > "$out/express-api-noscript.html"
grep -q '<script' "$out/express-api-noscript.html" && fail "could not strip the script"
chrome --dump-dom "file://$out/express-api-noscript.html" > "$out/dom-noscript.html" 2>/dev/null
grep -q '<html lang="en">' "$out/dom-noscript.html" || fail "no DOM without scripting"
grep -q '<div class="filters card" id="filters" hidden="">' "$out/dom-noscript.html" \
  || fail "the filter bar is visible without scripting"
[ "$(count '<article class="finding' "$out/dom-noscript.html")" -eq "$expected" ] || fail "findings missing without scripting"
if grep -Eq '<(article|details)[^>]*hidden' "$out/dom-noscript.html"; then
  fail "a finding is hidden without scripting"
fi

# 4. A screenshot, for people to look at.
chrome --hide-scrollbars --window-size=1280,2200 --screenshot="$out/express-api.png" "file://$report" \
  > /dev/null 2>&1
[ "$(wc -c < "$out/express-api.png")" -gt 20000 ] || fail "the screenshot is (nearly) empty"
echo "screenshot: $out/express-api.png"
echo "browser test passed"
