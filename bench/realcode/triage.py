#!/usr/bin/env python3
"""The real-project triage loop (not run in CI: it needs the downloads of fetch.sh).

    bench/realcode/fetch.sh                      # once: download and unpack projects.tsv
    bench/realcode/triage.py [run] [NAME ...]    # scan, compare with labels/, print precision
    bench/realcode/triage.py todo [NAME ...]     # append the unlabelled findings to labels/NAME.tsv

Every finding (fit/profile aside: it describes, it does not judge) is labelled
TP, FP or DEB with a one-line reason in labels/NAME.tsv (see ../../../shared/TRIAGE.md
and bench/realcode/README.md). A rule with more than 25 findings in one project is
labelled on a sample of 25: the findings whose fingerprint hashes lowest, so the
sample is random but the same on every run.

Environment: STACKFIT (the binary, default target/release/stackfit),
STACKFIT_REALCODE_DIR (where fetch.sh unpacked the projects, default
/tmp/stackfit-realcode).
"""

import collections
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WORK = os.environ.get("STACKFIT_REALCODE_DIR", "/tmp/stackfit-realcode")
BIN = os.environ.get("STACKFIT", os.path.join(REPO, "target", "release", "stackfit"))
SAMPLE = 25
LABELS = ("TP", "FP", "DEB")
NOT_JUDGED = {"fit/profile"}
COLUMNS = ["rule", "path", "line", "fingerprint", "label", "reason", "message"]


def projects():
    out = []
    with open(os.path.join(HERE, "projects.tsv")) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            name, registry, spec = parts[:3]
            flags = parts[3].split() if len(parts) > 3 else []
            out.append((name, registry, spec, flags))
    return out


def scan(name, flags):
    root = os.path.join(WORK, "src", name)
    if not os.path.isdir(root):
        sys.exit(f"{root} is missing: run bench/realcode/fetch.sh first")
    cmd = [BIN, "check", "--format", "json", "--fail-on", "never", "--no-cache", *flags, root]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {res.returncode}:\n{res.stderr}")
    doc = json.loads(res.stdout)
    os.makedirs(os.path.join(WORK, "out"), exist_ok=True)
    with open(os.path.join(WORK, "out", name + ".json"), "w") as f:
        f.write(res.stdout)
    return [f for f in doc["findings"] if f["rule_id"] not in NOT_JUDGED]


def sample_key(f):
    return hashlib.sha1(f["fingerprint"].encode()).hexdigest()


def sampled(findings):
    """The findings that must carry a label: all of a rule's, or a sample of 25."""
    by_rule = collections.defaultdict(list)
    for f in findings:
        by_rule[f["rule_id"]].append(f)
    keep = []
    for rule, fs in by_rule.items():
        fs.sort(key=sample_key)
        keep.extend(fs[:SAMPLE])
    return keep


def load_labels(name):
    path = os.path.join(HERE, "labels", name + ".tsv")
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            parts += [""] * (len(COLUMNS) - len(parts))
            row = dict(zip(COLUMNS, parts))
            row["line"] = int(row["line"])
            row["at"] = f"{path}:{n}"
            rows.append(row)
    return rows


def match(findings, labels):
    """Pairs findings with labels: same rule, path and fingerprint, else same
    rule, path and line (the finding's code changed under it)."""
    by_fp = {(l["rule"], l["path"], l["fingerprint"]): l for l in labels}
    by_line = collections.defaultdict(list)
    for l in labels:
        by_line[(l["rule"], l["path"], l["line"])].append(l)
    used = set()
    pairs = []
    for f in findings:
        l = by_fp.get((f["rule_id"], f["path"], f["fingerprint"]))
        if l is None or id(l) in used:
            l = next((c for c in by_line[(f["rule_id"], f["path"], f["start_line"])] if id(c) not in used), None)
        if l is not None:
            used.add(id(l))
        pairs.append((f, l))
    gone = [l for l in labels if id(l) not in used]
    return pairs, gone


def row_of(f, label="", reason=""):
    msg = f["message"].replace("\t", " ").replace("\n", " ")
    return "\t".join([f["rule_id"], f["path"], str(f["start_line"]), f["fingerprint"], label, reason, msg])


def cmd_todo(names):
    for name, _, _, flags in projects():
        if names and name not in names:
            continue
        findings = scan(name, flags)
        labels = load_labels(name)
        pairs, _ = match(sampled(findings), labels)
        todo = [f for f, l in pairs if l is None]
        if not todo:
            print(f"{name}: nothing to label")
            continue
        path = os.path.join(HERE, "labels", name + ".tsv")
        new = not os.path.exists(path)
        with open(path, "a") as out:
            if new:
                out.write("# " + "\t".join(COLUMNS) + "\n")
            for f in sorted(todo, key=lambda f: (f["path"], f["start_line"], f["rule_id"])):
                out.write(row_of(f) + "\n")
        print(f"{name}: {len(todo)} finding(s) to label appended to {os.path.relpath(path)}")


def cmd_run(names):
    totals = collections.Counter()
    per_rule = collections.defaultdict(collections.Counter)
    problems = []
    for name, _, spec, flags in projects():
        if names and name not in names:
            continue
        findings = scan(name, flags)
        labels = load_labels(name)
        must = sampled(findings)
        must_ids = {id(f) for f in must}
        pairs, gone = match(findings, labels)
        counts = collections.Counter(f["rule_id"] for f in findings)
        line = [f"{name} ({spec}): {len(findings)} findings"]
        for f, l in pairs:
            rule = f["rule_id"]
            per_rule[rule]["reported"] += 1
            if l is None:
                if id(f) in must_ids:
                    problems.append(f"NEW (unlabelled) {name}: {row_of(f)}")
                    per_rule[rule]["unlabelled"] += 1
                continue
            lab = l["label"]
            if lab not in LABELS:
                problems.append(f"BAD LABEL '{lab}' at {l['at']}")
                per_rule[rule]["unlabelled"] += 1
                continue
            per_rule[rule][lab] += 1
            totals[lab] += 1
            if l["fingerprint"] != f["fingerprint"]:
                problems.append(f"CHANGED (matched by line; check the label) {l['at']}: {row_of(f)}")
        for l in gone:
            kind = "LOST TP" if l["label"] == "TP" else "gone"
            problems.append(f"{kind} {name}: {l['rule']} {l['path']}:{l['line']} [{l['label']}] {l['reason']}")
        line.append(", ".join(f"{r} {n}" for r, n in sorted(counts.items())))
        print(" ".join(line[:1]) + (": " + line[1] if line[1] else ""))
    print()
    print(f"{'rule':40} {'found':>6} {'TP':>4} {'FP':>4} {'DEB':>4} {'todo':>5} {'precision':>9} {'DEB%':>5}")
    for rule in sorted(per_rule):
        c = per_rule[rule]
        judged = c["TP"] + c["FP"]
        prec = f"{c['TP'] / judged:.2f}" if judged else "-"
        labelled = judged + c["DEB"]
        deb = f"{100 * c['DEB'] / labelled:.0f}" if labelled else "-"
        print(f"{rule:40} {c['reported']:>6} {c['TP']:>4} {c['FP']:>4} {c['DEB']:>4} {c['unlabelled']:>5} {prec:>9} {deb:>5}")
    judged = totals["TP"] + totals["FP"]
    labelled = judged + totals["DEB"]
    prec = totals["TP"] / judged if judged else 0.0
    deb = totals["DEB"] / labelled if labelled else 0.0
    print(f"\noverall: TP {totals['TP']}, FP {totals['FP']}, DEB {totals['DEB']}: "
          f"precision TP/(TP+FP) {prec:.3f}, DEB {100 * deb:.1f}% of labelled")
    if problems:
        print(f"\n{len(problems)} change(s) since the labels were written:")
        for p in sorted(problems):
            print("  " + p)


def main(argv):
    cmd, names = "run", argv
    if argv and argv[0] in ("run", "todo"):
        cmd, names = argv[0], argv[1:]
    known = {p[0] for p in projects()}
    for n in names:
        if n not in known:
            sys.exit(f"unknown project '{n}' (projects.tsv has {', '.join(sorted(known))})")
    (cmd_todo if cmd == "todo" else cmd_run)(set(names))


if __name__ == "__main__":
    main(sys.argv[1:])
