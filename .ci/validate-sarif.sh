#!/usr/bin/env bash
# Validate a SARIF log with the SARIF SDK's multitool, using both the generic
# SARIF rules and GitHub code scanning's ingestion rules ("Sarif;Gh").
#
#   .ci/validate-sarif.sh FILE.sarif
#
# The multitool is installed from npm (@microsoft/sarif-multitool, pinned)
# into $SARIF_TOOL_DIR when set (and reused when already there), otherwise
# into a temporary folder removed on exit. Exits 1 when the validator reports
# any result at level "error" (each is printed), 0 otherwise; 2 on usage or
# installation problems.
set -euo pipefail

MULTITOOL_VERSION=5.7.0

if [[ $# -ne 1 ]]; then
    echo "usage: $0 FILE.sarif" >&2
    exit 2
fi
input=$1
if [[ ! -f $input ]]; then
    echo "validate-sarif: no such file: $input" >&2
    exit 2
fi
input=$(cd "$(dirname "$input")" && pwd)/$(basename "$input")
# The multitool says nothing about an empty file: check it is JSON first.
if ! python3 - "$input" <<'PY'
import json
import sys

try:
    with open(sys.argv[1], encoding="utf-8-sig") as f:
        json.load(f)
except (ValueError, UnicodeDecodeError) as e:
    print("%s: error: not a JSON document: %s" % (sys.argv[1], e))
    print("validate-sarif: 1 error(s), 0 warning(s), 0 note(s)")
    sys.exit(1)
PY
then
    exit 1
fi

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

if [[ -n ${SARIF_TOOL_DIR:-} ]]; then
    tool_dir=$SARIF_TOOL_DIR
    mkdir -p "$tool_dir"
else
    tool_dir=$(mktemp -d)
    cleanup+=("$tool_dir")
fi
tool_dir=$(cd "$tool_dir" && pwd)

# The npm package is a thin wrapper; the self-contained .NET executable comes
# with the platform package, an optional dependency.
case "$(uname -s)" in
    Linux) platform=linux ;;
    Darwin) platform=darwin ;;
    *) echo "validate-sarif: unsupported platform $(uname -s)" >&2; exit 2 ;;
esac
exe=$tool_dir/node_modules/@microsoft/sarif-multitool-$platform/Sarif.Multitool
installed_version() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
        "$tool_dir/node_modules/@microsoft/sarif-multitool/package.json" 2>/dev/null || true
}

if [[ ! -f $exe || $(installed_version) != "$MULTITOOL_VERSION" ]]; then
    echo "validate-sarif: installing @microsoft/sarif-multitool@$MULTITOOL_VERSION into $tool_dir" >&2
    [[ -f $tool_dir/package.json ]] || echo '{"name": "sarif-tool", "private": true}' >"$tool_dir/package.json"
    (cd "$tool_dir" && npm install --no-audit --no-fund --loglevel=error \
        "@microsoft/sarif-multitool@$MULTITOOL_VERSION" >&2)
fi
if [[ ! -f $exe ]]; then
    echo "validate-sarif: $exe is missing after installation" >&2
    exit 2
fi
[[ -x $exe ]] || chmod +x "$exe"

# The tool is self-contained .NET; without libicu it needs invariant mode.
if ! ldconfig -p 2>/dev/null | grep -q 'libicuuc\.so'; then
    export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1

work=$(mktemp -d)
cleanup+=("$work")
out=$work/validation.sarif

# Run the executable directly: npx goes through a shell wrapper that splits
# the rule-kind argument at ';'. The validator's exit code says whether it
# ran, not what it found: the findings are read from its output below.
status=0
# (Logs over the default 10 MB limit would be skipped, not validated.)
"$exe" validate "$input" --rule-kind "Sarif;Gh" --output "$out" --log ForceOverwrite \
    --max-file-size-in-kb 1048576 >"$work/stdout" 2>&1 || status=$?
if [[ ! -s $out ]]; then
    cat "$work/stdout" >&2
    echo "validate-sarif: the multitool wrote no output (exit $status)" >&2
    exit 2
fi

python3 - "$out" "$input" <<'PY'
import json
import sys

out, validated = sys.argv[1], sys.argv[2]
with open(out, encoding="utf-8-sig") as f:
    log = json.load(f)

counts = {"error": 0, "warning": 0, "note": 0, "none": 0}
errors = []
for run in log.get("runs", []):
    # Problems of the validator itself (a file it skipped, a crash): the log
    # was not validated, which must not pass for a clean one.
    for inv in run.get("invocations", []):
        notes = inv.get("toolConfigurationNotifications", []) + inv.get("toolExecutionNotifications", [])
        for n in notes:
            level = n.get("level", "warning")
            line = "%s: %s %s: %s" % (
                validated, level, n.get("descriptor", {}).get("id", "tool"), n.get("message", {}).get("text", ""))
            if level == "error":
                errors.append(line)
                counts["error"] += 1
            else:
                print(line)
        if inv.get("executionSuccessful") is False and not errors:
            errors.append("%s: error: the validator did not run successfully" % validated)
            counts["error"] += 1
    rules = run.get("tool", {}).get("driver", {}).get("rules", [])
    for res in run.get("results", []):
        level = res.get("level", "warning")
        counts[level] = counts.get(level, 0) + 1
        rule_id = res.get("ruleId", "?")
        msg = res.get("message", {})
        text = msg.get("text")
        if text is None:
            # Templated message: fill in the rule's message string.
            rule = next((r for r in rules if r.get("id") == rule_id), {})
            template = rule.get("messageStrings", {}).get(msg.get("id"), {}).get("text", "")
            text = template
            for i, arg in enumerate(msg.get("arguments", [])):
                text = text.replace("{%d}" % i, str(arg))
        line = "%s: %s %s: %s" % (validated, level, rule_id, text)
        if level == "error":
            errors.append(line)
        else:
            print(line)
for line in errors:
    print(line)
print(
    "validate-sarif: %d error(s), %d warning(s), %d note(s)"
    % (counts["error"], counts["warning"], counts["note"] + counts["none"])
)
sys.exit(1 if errors else 0)
PY
