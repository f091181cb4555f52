//! The command line as a user sees it: exit codes, rule selection,
//! configuration, inline suppressions, output formats, baselines and the
//! rule subcommands. Every test builds a small project in a temporary
//! directory and runs the real binary against it.

mod common;

use common::{f, run_in, Project, JS_EVAL, PY_EVAL};
use serde_json::Value;

/// A project with one `python/eval` and one `node/eval` finding.
fn py_and_js() -> Project {
    Project::with(&[("app.py", PY_EVAL), ("app.js", JS_EVAL)])
}

/// A declarative user rule flagging every `print(...)` call, in the format
/// of `rules/python/eval.toml`.
const PRINT_RULE: &str = r#"id = "custom/print-call"
languages = ["python"]
severity = "warning"
category = "performance"
confidence = "high"
summary = "print() call in application code"
message = "{{fn}}() writes to stdout; use logging"
query = '''
(call
  function: (identifier) @fn (#eq? @fn "print")) @call
'''
report = "call"

[docs]
what = "Flags calls of print()."
why = "stdout is not a log."
example = "print(x)"
fix = "logger.info(x)"

[[examples]]
invalid = '''
print(x)
'''
valid = '''
logger.info(x)
'''
"#;

/// A user rule flagging every node of `kind` in `lang`.
fn call_rule(id: &str, lang: &str, kind: &str) -> String {
    format!(
        r#"id = "{id}"
languages = ["{lang}"]
severity = "note"
category = "performance"
summary = "any call"
message = "a call"
query = "({kind}) @call"
report = "call"

[docs]
what = "Flags every call."
why = "For tests."
example = "f()"
fix = "none"
"#
    )
}

// ---------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------

#[test]
fn exit_code_is_0_when_there_are_no_findings() {
    let p = Project::with(&[("ok.py", "x = 1\nprint(x)\n"), ("ok.js", "const a = 1;\n")]);
    let r = p.run(&["check", "."]);
    r.assert_code(0);
    assert!(r.stderr.is_empty(), "a clean run prints nothing on stderr:\n{}", r.describe());
}

#[test]
fn exit_code_is_1_when_a_finding_reaches_the_default_fail_on_warning() {
    let p = Project::with(&[("app.py", PY_EVAL)]);
    p.run(&["check", "."]).assert_code(1);
}

#[test]
fn fail_on_never_exits_0_even_with_findings() {
    let p = py_and_js();
    let r = p.run(&["check", "--fail-on", "never", "--format", "json", "."]);
    r.assert_code(0);
    assert_eq!(r.findings().len(), 2, "findings are still reported");
}

#[test]
fn fail_on_error_exits_1_for_error_findings() {
    let p = Project::with(&[("app.py", common::PY_EVAL_REQUEST)]);
    p.run(&["check", "--fail-on", "error", "."]).assert_code(1);
}

#[test]
fn a_note_passes_fail_on_warning_and_error_but_fails_fail_on_note() {
    let p = Project::with(&[("app.py", PY_EVAL), ("stackfit.toml", "[severity]\n\"python/eval\" = \"note\"\n")]);
    let r = p.run(&["check", "--format", "json", "--fail-on", "warning", "."]);
    r.assert_code(0);
    let doc = r.json();
    assert_eq!(doc["findings"][0]["severity"], "note", "the config override changes the severity");
    assert_eq!(doc["summary"]["by_severity"]["note"], 1);
    assert_eq!(doc["summary"]["by_severity"]["error"], 0);
    p.run(&["check", "--fail-on", "error", "."]).assert_code(0);
    p.run(&["check", "--fail-on", "note", "."]).assert_code(1);
    // The default threshold is warning: a note alone passes.
    p.run(&["check", "."]).assert_code(0);
}

#[test]
fn fail_on_from_config_applies_unless_the_command_line_overrides_it() {
    let p = Project::with(&[("app.py", common::PY_EVAL_REQUEST), ("stackfit.toml", "fail-on = \"never\"\n")]);
    p.run(&["check", "."]).assert_code(0);
    p.run(&["check", "--fail-on", "error", "."]).assert_code(1);
}

#[test]
fn exit_code_is_2_for_a_nonexistent_path() {
    let p = Project::new();
    let r = p.run(&["check", "does/not/exist"]);
    r.assert_code(2);
    assert!(r.stderr.contains("does/not/exist"), "stderr names the path:\n{}", r.describe());
}

#[test]
fn exit_code_is_2_for_an_unknown_flag() {
    let p = py_and_js();
    let r = p.run(&["check", "--no-such-flag", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("--no-such-flag"), "{}", r.describe());
    assert!(r.stdout.is_empty(), "no report on a usage error:\n{}", r.describe());
}

#[test]
fn exit_code_is_2_for_an_invalid_fail_on_value() {
    py_and_js().run(&["check", "--fail-on", "sometimes", "."]).assert_code(2);
}

#[test]
fn exit_code_is_2_for_an_unknown_rule_id_in_select() {
    let p = py_and_js();
    let r = p.run(&["check", "--select", "python/evil", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("python/evil"), "stderr names the id:\n{}", r.describe());
    assert!(r.stdout.is_empty(), "{}", r.describe());
}

#[test]
fn exit_code_is_2_for_an_unknown_rule_id_in_ignore() {
    let p = py_and_js();
    let r = p.run(&["check", "--ignore", "nodejs/", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("nodejs/"), "{}", r.describe());
}

#[test]
fn exit_code_is_2_for_a_config_with_an_unknown_key_naming_key_and_file() {
    let p = Project::with(&[("app.py", PY_EVAL), ("stackfit.toml", "selekt = [\"python/\"]\n")]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("selekt"), "stderr names the key:\n{}", r.describe());
    assert!(r.stderr.contains("stackfit.toml"), "stderr names the file:\n{}", r.describe());
}

#[test]
fn exit_code_is_2_for_an_unknown_key_in_pyproject_tool_stackfit() {
    let p = Project::with(&[("app.py", PY_EVAL), ("pyproject.toml", "[tool.stackfit]\nignroe = [\"python/\"]\n")]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("ignroe"), "{}", r.describe());
    assert!(r.stderr.contains("pyproject.toml"), "{}", r.describe());
}

#[test]
fn exit_code_is_2_for_an_unknown_rule_id_in_config_ignore_naming_key_and_file() {
    let p = Project::with(&[("app.py", PY_EVAL), ("stackfit.toml", "ignore = [\"python/evil\"]\n")]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("python/evil"), "stderr names the id:\n{}", r.describe());
    assert!(r.stderr.contains("'ignore'"), "stderr names the key:\n{}", r.describe());
    assert!(r.stderr.contains("stackfit.toml"), "stderr names the file:\n{}", r.describe());
}

#[test]
fn exit_code_is_2_for_an_unknown_rule_id_in_config_severity() {
    let p = Project::with(&[("app.py", PY_EVAL), ("stackfit.toml", "[severity]\n\"python/evil\" = \"note\"\n")]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("python/evil") && r.stderr.contains("stackfit.toml"), "{}", r.describe());
}

#[test]
fn exit_code_is_2_for_a_config_that_is_not_valid_toml() {
    let p = Project::with(&[("app.py", PY_EVAL), (".stackfit.toml", "ignore = [\"python/\"\n")]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains(".stackfit.toml"), "stderr names the file:\n{}", r.describe());
    assert!(r.stdout.is_empty(), "{}", r.describe());
}

// ---------------------------------------------------------------------------
// The default command
// ---------------------------------------------------------------------------

#[test]
fn a_bare_path_runs_check_on_it() {
    let p = py_and_js();
    let implicit = p.run(&["--format", "json", "."]);
    let explicit = p.run(&["check", "--format", "json", "."]);
    implicit.assert_code(1);
    assert_eq!(implicit.stdout, explicit.stdout);
    assert_eq!(implicit.findings().len(), 2);
    // A path without any flag, too.
    let text = p.run(&["."]);
    text.assert_code(1);
    assert_eq!(text.stdout, p.run(&["check", "."]).stdout);
}

#[test]
fn no_arguments_checks_the_current_directory() {
    let p = py_and_js();
    let r = p.run(&[]);
    r.assert_code(1);
    assert_eq!(r.stdout, p.run(&["check", "."]).stdout);
    assert!(r.stdout.contains("app.py") && r.stdout.contains("app.js"), "{}", r.describe());
}

// ---------------------------------------------------------------------------
// Rule selection
// ---------------------------------------------------------------------------

#[test]
fn select_by_full_rule_id_reports_only_that_rule() {
    let r = py_and_js().run(&["check", "--format", "json", "--select", "python/eval", "."]);
    assert_eq!(r.rule_ids(), vec!["python/eval"]);
}

#[test]
fn select_by_prefix_with_a_trailing_slash() {
    let r = py_and_js().run(&["check", "--format", "json", "--select", "python/", "."]);
    assert_eq!(r.rule_ids(), vec!["python/eval"]);
}

#[test]
fn select_by_prefix_without_a_slash() {
    let r = py_and_js().run(&["check", "--format", "json", "--select", "node", "."]);
    assert_eq!(r.rule_ids(), vec!["node/eval"]);
}

#[test]
fn select_takes_a_comma_separated_list() {
    let r = py_and_js().run(&["check", "--format", "json", "--select", "node/,python/eval", "."]);
    assert_eq!(r.findings().len(), 2);
}

#[test]
fn a_prefix_matches_whole_path_segments_only() {
    // `pyth` is not a prefix of `python/eval`: it names no rule at all.
    py_and_js().run(&["check", "--select", "pyth", "."]).assert_code(2);
}

#[test]
fn ignore_by_rule_id() {
    let r = py_and_js().run(&["check", "--format", "json", "--ignore", "node/eval", "."]);
    assert_eq!(r.rule_ids(), vec!["python/eval"]);
}

#[test]
fn ignore_by_prefix() {
    let r = py_and_js().run(&["check", "--format", "json", "--ignore", "python/", "."]);
    assert_eq!(r.rule_ids(), vec!["node/eval"]);
    let r = py_and_js().run(&["check", "--format", "json", "--ignore", "python,node", "."]);
    r.assert_code(0);
    assert!(r.findings().is_empty());
}

#[test]
fn config_select_limits_the_rules() {
    let p = py_and_js();
    p.write("stackfit.toml", "select = [\"node/\"]\n");
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.rule_ids(), vec!["node/eval"]);
}

#[test]
fn config_ignore_disables_rules() {
    let p = py_and_js();
    p.write("stackfit.toml", "ignore = [\"node\"]\n");
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.rule_ids(), vec!["python/eval"]);
}

#[test]
fn command_line_ignore_adds_to_config_ignore() {
    let p = py_and_js();
    p.write("stackfit.toml", "ignore = [\"node/\"]\n");
    let r = p.run(&["check", "--format", "json", "--ignore", "python/eval", "."]);
    r.assert_code(0);
    assert!(r.findings().is_empty(), "{}", r.describe());
}

#[test]
fn per_path_ignores_drop_the_named_rules_under_the_glob_only() {
    let p = Project::with(&[
        ("legacy/old.py", PY_EVAL),
        ("legacy/old.js", JS_EVAL),
        ("app/new.py", PY_EVAL),
        ("stackfit.toml", "[per-path-ignores]\n\"legacy/**\" = [\"python/eval\"]\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.findings(), vec![f("app/new.py", 1, "python/eval"), f("legacy/old.js", 1, "node/eval")]);
}

#[test]
fn per_path_ignores_accept_prefixes() {
    let p = Project::with(&[
        ("scripts/tool.py", PY_EVAL),
        ("scripts/tool.js", JS_EVAL),
        ("stackfit.toml", "[per-path-ignores]\n\"scripts/*\" = [\"python/\", \"node\"]\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_code(0);
    assert!(r.findings().is_empty(), "{}", r.describe());
}

#[test]
fn per_path_ignores_with_an_unknown_rule_id_is_a_config_error() {
    let p = Project::with(&[("a.py", PY_EVAL), ("stackfit.toml", "[per-path-ignores]\n\"*.py\" = [\"python/evl\"]\n")]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("per-path-ignores") && r.stderr.contains("python/evl"), "{}", r.describe());
}

// ---------------------------------------------------------------------------
// Which files are scanned
// ---------------------------------------------------------------------------

#[test]
fn exclude_globs_skip_matching_directories_and_files() {
    let p = Project::with(&[
        ("generated/api.py", PY_EVAL),
        ("src/generated/deep.py", PY_EVAL),
        ("src/gen/one.py", PY_EVAL),
        ("src/gen/keep.js", JS_EVAL),
        ("src/app.py", PY_EVAL),
        ("stackfit.toml", "exclude = [\"generated\", \"src/gen/*.py\"]\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.findings(), vec![f("src/app.py", 1, "python/eval"), f("src/gen/keep.js", 1, "node/eval")]);
}

#[test]
fn extend_exclude_adds_to_exclude() {
    let p = Project::with(&[
        ("a/x.py", PY_EVAL),
        ("b/x.py", PY_EVAL),
        ("c/x.py", PY_EVAL),
        ("stackfit.toml", "exclude = [\"a\"]\nextend-exclude = [\"b\"]\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.findings(), vec![f("c/x.py", 1, "python/eval")]);
}

#[test]
fn a_nested_config_extend_exclude_applies_to_its_subtree() {
    let p = Project::with(&[
        ("tmp/x.py", PY_EVAL),
        ("svc/tmp/x.py", PY_EVAL),
        ("svc/gen/x.py", PY_EVAL),
        ("svc/app.py", PY_EVAL),
        ("stackfit.toml", "exclude = [\"gen\"]\n"),
        ("svc/stackfit.toml", "extend-exclude = [\"tmp\"]\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.findings(), vec![f("svc/app.py", 1, "python/eval"), f("tmp/x.py", 1, "python/eval")]);
}

#[test]
fn node_modules_is_skipped_by_default() {
    let p = Project::with(&[("node_modules/pkg/x.js", JS_EVAL), ("index.js", "const a = 1;\n")]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_code(0);
    assert!(r.findings().is_empty(), "{}", r.describe());
}

#[test]
fn no_default_excludes_flag_scans_node_modules() {
    let p = Project::with(&[("node_modules/pkg/x.js", JS_EVAL), ("index.js", "const a = 1;\n")]);
    let r = p.run(&["check", "--format", "json", "--no-default-excludes", "."]);
    r.assert_code(1);
    assert_eq!(r.findings(), vec![f("node_modules/pkg/x.js", 1, "node/eval")]);
}

#[test]
fn default_excludes_false_in_config_scans_node_modules_and_virtualenvs() {
    let p = Project::with(&[
        ("node_modules/pkg/x.js", JS_EVAL),
        (".venv/lib/site.py", PY_EVAL),
        ("stackfit.toml", "default-excludes = false\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(
        r.findings(),
        vec![f(".venv/lib/site.py", 1, "python/eval"), f("node_modules/pkg/x.js", 1, "node/eval")]
    );
}

#[test]
fn virtualenvs_and_build_output_are_skipped_by_default() {
    let p = Project::with(&[
        ("venv/lib/x.py", PY_EVAL),
        ("env/pyvenv.cfg", "home = /usr/bin\n"),
        ("env/lib/y.py", PY_EVAL),
        ("dist/bundle.js", JS_EVAL),
        ("build/out.js", JS_EVAL),
        ("static/vendor.min.js", JS_EVAL),
        ("src/app.py", PY_EVAL),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.findings(), vec![f("src/app.py", 1, "python/eval")]);
}

#[test]
fn gitignored_files_are_skipped_when_walking_but_scanned_when_named() {
    // No `.git` directory: the walker honours .gitignore regardless.
    let p = Project::with(&[
        (".gitignore", "secret.py\nignored_dir/\n"),
        ("secret.py", PY_EVAL),
        ("ignored_dir/y.js", JS_EVAL),
    ]);
    let walked = p.run(&["check", "--format", "json", "."]);
    walked.assert_code(0);
    assert!(walked.findings().is_empty(), "{}", walked.describe());

    let named = p.run(&["check", "--format", "json", "secret.py", "ignored_dir/y.js"]);
    named.assert_code(1);
    assert_eq!(named.findings(), vec![f("ignored_dir/y.js", 1, "node/eval"), f("secret.py", 1, "python/eval")]);
}

#[test]
fn dot_ignore_files_are_honoured_when_walking() {
    let p = Project::with(&[(".ignore", "scratch/\n"), ("scratch/a.py", PY_EVAL), ("real.py", PY_EVAL)]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.findings(), vec![f("real.py", 1, "python/eval")]);
}

#[test]
fn files_of_other_languages_are_not_scanned() {
    let p = Project::with(&[("notes.txt", PY_EVAL), ("script.rb", PY_EVAL), ("README.md", JS_EVAL)]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_code(0);
    assert_eq!(r.json()["summary"]["files"], 0);
}

// ---------------------------------------------------------------------------
// Configuration discovery and nesting
// ---------------------------------------------------------------------------

fn ignores_python(config_name: &str, text: &str) {
    let p = py_and_js();
    p.write(config_name, text);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.rule_ids(), vec!["node/eval"], "config {config_name} was not applied\n{}", r.describe());
}

#[test]
fn config_is_discovered_from_stackfit_toml() {
    ignores_python("stackfit.toml", "ignore = [\"python/\"]\n");
}

#[test]
fn config_is_discovered_from_dot_stackfit_toml() {
    ignores_python(".stackfit.toml", "ignore = [\"python/\"]\n");
}

#[test]
fn config_is_discovered_from_tool_stackfit_in_pyproject_toml() {
    ignores_python("pyproject.toml", "[project]\nname = \"shop\"\n\n[tool.stackfit]\nignore = [\"python/\"]\n");
}

#[test]
fn a_pyproject_toml_without_tool_stackfit_is_not_a_config() {
    let p = py_and_js();
    p.write("pyproject.toml", "[project]\nname = \"shop\"\n[tool.black]\nline-length = 100\n");
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_code(1);
    assert_eq!(r.findings().len(), 2);
}

#[test]
fn config_is_discovered_upward_from_a_subdirectory_path() {
    let p = Project::with(&[
        ("stackfit.toml", "ignore = [\"python/\"]\n"),
        ("services/api/app.py", PY_EVAL),
        ("services/api/app.js", JS_EVAL),
    ]);
    let r = p.run(&["check", "--format", "json", "services/api"]);
    assert_eq!(r.rule_ids(), vec!["node/eval"], "{}", r.describe());
    // Also when run from inside the subdirectory.
    let r = run_in(&p.path("services/api"), &["check", "--format", "json", "."]);
    assert_eq!(r.rule_ids(), vec!["node/eval"], "{}", r.describe());
}

#[test]
fn config_is_discovered_upward_from_a_file_path() {
    let p = Project::with(&[("stackfit.toml", "ignore = [\"node/\"]\n"), ("pkg/a.js", JS_EVAL), ("pkg/a.py", PY_EVAL)]);
    let r = p.run(&["check", "--format", "json", "pkg/a.js", "pkg/a.py"]);
    assert_eq!(r.findings(), vec![f("pkg/a.py", 1, "python/eval")]);
}

#[test]
fn a_nested_config_inherits_the_enclosing_one() {
    let p = Project::with(&[
        ("stackfit.toml", "ignore = [\"node/\"]\n"),
        ("top.py", PY_EVAL),
        ("top.js", JS_EVAL),
        ("sub/stackfit.toml", "ignore = [\"python/\"]\n"),
        ("sub/inner.py", PY_EVAL),
        ("sub/inner.js", JS_EVAL),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    // In the parent only node/ is ignored; in the child both are.
    assert_eq!(r.findings(), vec![f("top.py", 1, "python/eval")]);
}

#[test]
fn a_nested_config_with_root_true_does_not_inherit() {
    let p = Project::with(&[
        ("stackfit.toml", "ignore = [\"node/\"]\n"),
        ("top.js", JS_EVAL),
        ("iso/stackfit.toml", "root = true\nignore = [\"python/\"]\n"),
        ("iso/inner.py", PY_EVAL),
        ("iso/inner.js", JS_EVAL),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.findings(), vec![f("iso/inner.js", 1, "node/eval")]);
    // Scanning the subtree directly: discovery stops at the root = true config.
    let r = p.run(&["check", "--format", "json", "iso"]);
    assert_eq!(r.findings(), vec![f("inner.js", 1, "node/eval")]);
}

#[test]
fn explicit_config_flag_replaces_discovery() {
    let p = py_and_js();
    p.write("stackfit.toml", "ignore = [\"node/\"]\n");
    p.write("ci/strict.toml", "ignore = [\"python/\"]\n");
    let r = p.run(&["check", "--format", "json", "--config", "ci/strict.toml", "."]);
    assert_eq!(r.rule_ids(), vec!["node/eval"], "{}", r.describe());
}

#[test]
fn explicit_config_that_does_not_exist_is_an_error() {
    let p = py_and_js();
    let r = p.run(&["check", "--config", "missing.toml", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("missing.toml"), "{}", r.describe());
}

#[test]
fn exclude_and_per_path_ignores_are_relative_to_the_config_directory_whatever_the_path_scanned() {
    let p = Project::with(&[
        ("stackfit.toml", "exclude = [\"src/gen/*.py\"]\n[per-path-ignores]\n\"src/old*.py\" = [\"python/eval\"]\n"),
        ("src/gen/x.py", PY_EVAL),
        ("src/old1.py", PY_EVAL),
        ("src/new.py", PY_EVAL),
    ]);
    let from_root = p.run(&["check", "--format", "json", "."]);
    assert_eq!(from_root.findings(), vec![f("src/new.py", 1, "python/eval")]);
    let src_arg = p.run(&["check", "--format", "json", "src"]);
    assert_eq!(src_arg.findings(), vec![f("new.py", 1, "python/eval")]);
    let inside = run_in(&p.path("src"), &["check", "--format", "json", "."]);
    assert_eq!(inside.findings(), vec![f("new.py", 1, "python/eval")]);
}

#[test]
fn a_nested_config_per_path_ignores_and_severity_apply_to_its_subtree_only() {
    let p = Project::with(&[
        (
            "svc/stackfit.toml",
            "[per-path-ignores]\n\"legacy/*\" = [\"python/\"]\n[severity]\n\"python/eval\" = \"note\"\n",
        ),
        ("svc/legacy/a.py", PY_EVAL),
        ("svc/app.py", PY_EVAL),
        ("legacy/a.py", PY_EVAL),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    let doc = r.json();
    assert_eq!(common::findings_of(&doc), vec![f("legacy/a.py", 1, "python/eval"), f("svc/app.py", 1, "python/eval")]);
    // An eval of cached code is a warning; the nested config makes it a note.
    assert_eq!(doc["findings"][0]["severity"], "warning");
    assert_eq!(doc["findings"][1]["severity"], "note");
}

#[test]
fn nested_configs_apply_by_subtree_whatever_the_order_of_file_arguments() {
    // pre-commit passes files in any order; the result must not depend on it.
    let p = Project::with(&[
        ("stackfit.toml", "ignore = [\"node/\"]\n"),
        ("sub/stackfit.toml", "ignore = [\"python/\"]\n"),
        ("top.py", PY_EVAL),
        ("top.js", JS_EVAL),
        ("sub/inner.py", PY_EVAL),
        ("sub/inner.js", JS_EVAL),
    ]);
    let top_first = p.run(&["check", "--format", "json", "top.py", "top.js", "sub/inner.py", "sub/inner.js"]);
    let sub_first = p.run(&["check", "--format", "json", "sub/inner.py", "sub/inner.js", "top.py", "top.js"]);
    assert_eq!(top_first.findings(), vec![f("top.py", 1, "python/eval")]);
    assert_eq!(sub_first.findings(), vec![f("top.py", 1, "python/eval")], "{}", sub_first.describe());
}

#[test]
fn every_javascript_and_typescript_extension_is_scanned() {
    let p = Project::new();
    for ext in ["js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx"] {
        p.write(&format!("src/m.{ext}"), JS_EVAL);
    }
    p.write("src/types.d.ts", "declare function eval(x: string): any;\n");
    let r = p.run(&["check", "--format", "json", "."]);
    let paths: Vec<String> = r.findings().into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(
        paths,
        ["src/m.cjs", "src/m.cts", "src/m.js", "src/m.jsx", "src/m.mjs", "src/m.mts", "src/m.ts", "src/m.tsx"]
    );
}

// ---------------------------------------------------------------------------
// Inline suppressions
// ---------------------------------------------------------------------------

/// The start lines of the findings when scanning `code` as `name`.
fn lines_flagged(name: &str, code: &str) -> Vec<u64> {
    let p = Project::with(&[(name, code)]);
    // Suppressions apply whatever the confidence: every finding is shown.
    p.run(&["check", "--format", "json", "--min-confidence", "low", "."])
        .findings()
        .into_iter()
        .map(|(_, l, _)| l)
        .collect()
}

#[test]
fn suppression_on_the_same_line() {
    assert_eq!(
        lines_flagged("a.py", "eval(cache.get(x))  # stackfit: ignore[python/eval]\n\neval(cache.get(y))\n"),
        vec![3]
    );
}

#[test]
fn suppression_on_the_line_above() {
    assert_eq!(
        lines_flagged("a.py", "# stackfit: ignore[python/eval]\neval(cache.get(x))\neval(cache.get(y))\n"),
        vec![3]
    );
}

#[test]
fn suppression_two_lines_above_does_not_apply() {
    assert_eq!(lines_flagged("a.py", "# stackfit: ignore[python/eval]\n\neval(cache.get(x))\n"), vec![3]);
}

#[test]
fn bare_suppression_silences_every_rule() {
    assert_eq!(lines_flagged("a.py", "eval(cache.get(x))  # stackfit: ignore\n\neval(cache.get(y))\n"), vec![3]);
}

#[test]
fn suppression_in_a_javascript_line_comment() {
    assert_eq!(
        lines_flagged("a.js", "// stackfit: ignore[node/eval]\neval(cache.get(x));\neval(cache.get(y));\n"),
        vec![3]
    );
    assert_eq!(lines_flagged("b.js", "eval(cache.get(x)); // stackfit: ignore[node/eval]\n"), Vec::<u64>::new());
}

#[test]
fn suppression_by_rule_prefix() {
    assert_eq!(
        lines_flagged("a.py", "eval(cache.get(x))  # stackfit: ignore[python/]\n\neval(cache.get(y))\n"),
        vec![3]
    );
}

#[test]
fn suppression_with_several_ids() {
    assert_eq!(
        lines_flagged("a.py", "eval(cache.get(x))  # stackfit: ignore[node/eval, python/eval]\n"),
        Vec::<u64>::new()
    );
}

#[test]
fn suppression_naming_another_rule_does_not_suppress() {
    assert_eq!(lines_flagged("a.py", "eval(cache.get(x))  # stackfit: ignore[node/eval]\n"), vec![1]);
    assert_eq!(lines_flagged("b.py", "# stackfit: ignore[python/evaluate]\neval(cache.get(x))\n"), vec![2]);
}

#[test]
fn suppression_text_outside_a_comment_does_not_suppress() {
    assert_eq!(lines_flagged("a.py", "eval(x, 'stackfit: ignore')\n"), vec![1]);
}

#[test]
fn suppression_in_a_block_comment() {
    assert_eq!(
        lines_flagged("a.js", "/* stackfit: ignore[node/eval] */ eval(cache.get(x));\n\neval(cache.get(y));\n"),
        vec![3]
    );
}

#[test]
fn suppression_may_carry_a_reason_after_the_ids() {
    assert_eq!(
        lines_flagged("a.py", "eval(cache.get(x))  # stackfit: ignore[python/eval] -- trusted admin input\n"),
        Vec::<u64>::new()
    );
}

#[test]
fn suppression_text_inside_a_string_literal_does_not_suppress() {
    assert_eq!(lines_flagged("a.py", "eval(x, {\"tag\": \"# stackfit: ignore this\"})\n"), vec![1]);
    assert_eq!(lines_flagged("a.js", "eval(\"x // stackfit: ignore \" + y);\n"), vec![1]);
}

#[test]
fn file_suppression_within_the_first_10_lines_covers_the_whole_file() {
    let mut code = String::from("\"\"\"Module docstring.\"\"\"\n\n# stackfit: ignore-file[python/eval]\n");
    code.push_str(&"x = 1\n".repeat(20));
    code.push_str("eval(cache.get(x))\n");
    assert_eq!(lines_flagged("a.py", &code), Vec::<u64>::new());
    // On line 10 exactly, still honoured.
    let code = format!(
        "{}# stackfit: ignore-file[python/eval]\n{}eval(cache.get(x))\n",
        "x = 1\n".repeat(9),
        "x = 1\n".repeat(10)
    );
    assert_eq!(lines_flagged("b.py", &code), Vec::<u64>::new());
}

#[test]
fn file_suppression_after_line_10_is_not_honoured() {
    // The directive is on line 12; the finding is far below it.
    let code = format!(
        "{}# stackfit: ignore-file[python/eval]\n{}eval(cache.get(x))\n",
        "x = 1\n".repeat(11),
        "x = 1\n".repeat(10)
    );
    assert_eq!(lines_flagged("a.py", &code), vec![23]);
}

#[test]
fn file_suppression_naming_another_rule_does_not_suppress() {
    assert_eq!(lines_flagged("a.js", "// stackfit: ignore-file[python/eval]\n\n\neval(cache.get(x));\n"), vec![4]);
}

#[test]
fn stats_reports_a_suppression_that_suppresses_nothing() {
    let p = Project::with(&[(
        "a.py",
        "x = 1  # stackfit: ignore[python/eval]\n\n\neval(cache.get(y))  # stackfit: ignore[python/eval]\n",
    )]);
    let r = p.run(&["check", "--stats", "."]);
    r.assert_code(0);
    let unused: Vec<&str> = r.stderr.lines().filter(|l| l.contains("unused suppression")).collect();
    assert_eq!(unused.len(), 1, "exactly the line-1 directive is unused:\n{}", r.describe());
    assert!(unused[0].contains("a.py:1"), "{}", r.describe());
    // Without --stats nothing is said about it.
    let r = p.run(&["check", "."]);
    assert!(!r.stderr.contains("unused"), "{}", r.describe());
}

// ---------------------------------------------------------------------------
// JSON output
// ---------------------------------------------------------------------------

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().cloned().collect();
    k.sort();
    k
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn json_report_has_the_documented_shape() {
    let p = Project::with(&[
        ("pkg/views.py", "def view(request):\n    return eval(request.GET[\"q\"])\n"),
        ("ok.js", "const a = 1;\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_code(1);
    let doc = r.json();
    assert_eq!(keys(&doc), sorted(&["tool", "version", "summary", "findings", "skipped", "profile"]));
    assert_eq!(doc["tool"], "stackfit");
    assert_eq!(doc["version"], env!("CARGO_PKG_VERSION"));

    let s = &doc["summary"];
    assert_eq!(
        keys(s),
        sorted(&["files", "bytes", "lines", "skipped", "findings", "by_severity", "files_by_role", "findings_by_role"])
    );
    assert_eq!(s["files_by_role"], serde_json::json!({"app": 2}));
    assert_eq!(s["findings_by_role"], serde_json::json!({"app": 1}));
    assert_eq!(s["files"], 2);
    let bytes =
        std::fs::metadata(p.path("pkg/views.py")).unwrap().len() + std::fs::metadata(p.path("ok.js")).unwrap().len();
    assert_eq!(s["bytes"], bytes);
    assert!(s["lines"].as_u64().unwrap() >= 3, "{s}");
    assert_eq!(s["skipped"], 0);
    assert_eq!(s["findings"], 1);
    assert_eq!(keys(&s["by_severity"]), sorted(&["error", "warning", "note"]));
    assert_eq!(s["by_severity"]["error"], 1);

    assert!(doc["skipped"].as_array().unwrap().is_empty());
    assert!(doc["profile"].is_object());

    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    let fnd = &findings[0];
    let required = [
        "rule_id",
        "severity",
        "category",
        "confidence",
        "path",
        "start_line",
        "start_column",
        "end_line",
        "end_column",
        "message",
        "fingerprint",
    ];
    for k in required {
        assert!(fnd.get(k).is_some(), "finding lacks '{k}': {fnd}");
    }
    for k in keys(fnd) {
        assert!(
            required.contains(&k.as_str()) || k == "related" || k == "fix" || k == "role",
            "undocumented finding field '{k}': {fnd}"
        );
    }
    assert_eq!(fnd["rule_id"], "python/eval");
    assert_eq!(fnd["severity"], "error");
    assert_eq!(fnd["category"], "security");
    assert_eq!(fnd["confidence"], "high");
    assert_eq!(fnd["path"], "pkg/views.py");
    // `eval(request.GET["q"])` on line 2, from column 12 to column 34 (exclusive).
    assert_eq!(fnd["start_line"], 2);
    assert_eq!(fnd["start_column"], 12);
    assert_eq!(fnd["end_line"], 2);
    assert_eq!(fnd["end_column"], 12 + "eval(request.GET[\"q\"])".len() as u64);
    assert!(fnd["message"].as_str().unwrap().contains("eval"), "{fnd}");
    assert!(!fnd["fingerprint"].as_str().unwrap().is_empty());
}

#[test]
fn json_summary_counts_lines_like_wc_l() {
    let p = Project::with(&[("a.py", "x = 1\ny = 2\n"), ("b.js", "const a = 1;\n")]);
    let doc = p.run(&["check", "--format", "json", "."]).json();
    assert_eq!(doc["summary"]["lines"], 3, "{doc}");
}

#[test]
fn json_lists_skipped_files_with_a_reason() {
    let p = Project::with(&[("static/app.min.js", JS_EVAL), ("a.py", "x = 1\n")]);
    let r = p.run(&["check", "--format", "json", "."]);
    let doc = r.json();
    assert_eq!(doc["summary"]["skipped"], 1, "{doc}");
    let skipped = &doc["skipped"][0];
    assert_eq!(skipped["path"], "static/app.min.js");
    assert!(!skipped["reason"].as_str().unwrap().is_empty());
}

#[test]
fn json_paths_are_relative_to_the_scanned_directory_with_forward_slashes() {
    let p = Project::with(&[("proj/a/b/c.py", PY_EVAL), ("proj/d.js", JS_EVAL)]);
    let r = p.run(&["check", "--format", "json", "proj"]);
    assert_eq!(r.findings(), vec![f("a/b/c.py", 1, "python/eval"), f("d.js", 1, "node/eval")]);
    let root = p.root().display().to_string();
    assert!(!r.stdout.contains(&root), "the report holds no absolute path:\n{}", r.stdout);
    assert!(!r.stdout.contains('\\'), "{}", r.stdout);
}

#[test]
fn json_findings_are_sorted_by_path_line_column_and_rule_id() {
    // User rules flagging every call land on the same position as the eval
    // rules, so ties on (path, line, column) are broken by rule id.
    let p = Project::with(&[
        ("zeta.py", "x = 1\n\neval(a); eval(b)\neval(c)\n"),
        ("m/b.js", "eval(a); eval(b);\n"),
        ("alpha.js", "\n\n  eval(z);\neval(y);\n"),
        ("m.py", "eval(q)\n"),
        ("rules/any-py.toml", &call_rule("aaa/any-call", "python", "call")),
        ("rules/any-js.toml", &call_rule("aaa/any-js-call", "js", "call_expression")),
        ("stackfit.toml", "rules-dirs = [\"rules\"]\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "--min-confidence", "low", "."]);
    r.assert_code(1);
    let doc = r.json();
    let got: Vec<(String, u64, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap().to_string(),
                x["start_line"].as_u64().unwrap(),
                x["start_column"].as_u64().unwrap(),
                x["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let e = |p: &str, l: u64, c: u64, r: &str| (p.to_string(), l, c, r.to_string());
    let expected = vec![
        e("alpha.js", 3, 3, "aaa/any-js-call"),
        e("alpha.js", 3, 3, "node/eval"),
        e("alpha.js", 4, 1, "aaa/any-js-call"),
        e("alpha.js", 4, 1, "node/eval"),
        e("m.py", 1, 1, "aaa/any-call"),
        e("m.py", 1, 1, "python/eval"),
        e("m/b.js", 1, 1, "aaa/any-js-call"),
        e("m/b.js", 1, 1, "node/eval"),
        e("m/b.js", 1, 10, "aaa/any-js-call"),
        e("m/b.js", 1, 10, "node/eval"),
        e("zeta.py", 3, 1, "aaa/any-call"),
        e("zeta.py", 3, 1, "python/eval"),
        e("zeta.py", 3, 10, "aaa/any-call"),
        e("zeta.py", 3, 10, "python/eval"),
        e("zeta.py", 4, 1, "aaa/any-call"),
        e("zeta.py", 4, 1, "python/eval"),
    ];
    assert_eq!(got, expected, "{}", r.describe());
}

// ---------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------

/// A project with enough files for the worker threads to interleave.
fn busy_project() -> Project {
    let p = Project::new();
    for i in 0..40 {
        p.write(
            &format!("pkg{}/mod{i}.py", i % 5),
            format!("def f{i}(x):\n    return eval(cache.get(x))\n\nexec(cache.get(code{i}))\n"),
        );
        p.write(&format!("web{}/h{i}.js", i % 3), format!("function h{i}(x) {{\n  return eval(cache.get(x));\n}}\n"));
    }
    p
}

#[test]
fn json_output_is_byte_identical_across_runs_and_thread_counts() {
    let p = busy_project();
    let a = p.run(&["check", "--format", "json", "."]);
    let b = p.run(&["check", "--format", "json", "."]);
    let one = p.run(&["check", "--format", "json", "--jobs", "1", "."]);
    let two = p.run(&["check", "--format", "json", "--jobs", "2", "."]);
    a.assert_code(1);
    assert_eq!(a.findings().len(), 120);
    assert_eq!(a.stdout_bytes, b.stdout_bytes, "two runs differ");
    assert_eq!(one.stdout_bytes, two.stdout_bytes, "--jobs 1 and --jobs 2 differ");
    assert_eq!(a.stdout_bytes, one.stdout_bytes, "default jobs and --jobs 1 differ");
}

#[test]
fn sarif_output_is_byte_identical_across_runs_and_thread_counts() {
    let p = busy_project();
    let a = p.run(&["check", "--format", "sarif", "."]);
    let b = p.run(&["check", "--format", "sarif", "."]);
    let one = p.run(&["check", "--format", "sarif", "--jobs", "1", "."]);
    let two = p.run(&["check", "--format", "sarif", "--jobs", "2", "."]);
    a.assert_code(1);
    a.json(); // valid JSON
    assert_eq!(a.stdout_bytes, b.stdout_bytes, "two runs differ");
    assert_eq!(one.stdout_bytes, two.stdout_bytes, "--jobs 1 and --jobs 2 differ");
    assert_eq!(a.stdout_bytes, one.stdout_bytes, "default jobs and --jobs 1 differ");
}

// ---------------------------------------------------------------------------
// --output
// ---------------------------------------------------------------------------

#[test]
fn output_flag_writes_the_report_to_the_file_and_nothing_to_stdout() {
    let p = py_and_js();
    let r = p.run(&["check", "--format", "json", "--output", "report.json", "."]);
    r.assert_code(1);
    assert!(r.stdout.is_empty(), "stdout should be empty:\n{}", r.describe());
    let doc: Value = serde_json::from_str(&p.read("report.json")).expect("the file holds the JSON report");
    assert_eq!(common::findings_of(&doc), vec![f("app.js", 1, "node/eval"), f("app.py", 1, "python/eval")]);
    // The same bytes as stdout would have had.
    assert_eq!(p.read("report.json"), p.run(&["check", "--format", "json", "."]).stdout);
}

#[test]
fn output_flag_works_for_the_text_format() {
    let p = py_and_js();
    let r = p.run(&["check", "--output", "out.txt", "."]);
    r.assert_code(1);
    assert!(r.stdout.is_empty(), "{}", r.describe());
    let text = p.read("out.txt");
    assert!(text.contains("app.py:1:1") && text.contains("python/eval"), "{text}");
}

// ---------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------

#[test]
fn write_baseline_exits_0_and_records_every_finding_sorted() {
    let p =
        Project::with(&[("z.py", "eval(cache.get(a))\neval(cache.get(b))\n"), ("a.js", JS_EVAL), ("m/q.py", PY_EVAL)]);
    let r = p.run(&["check", "--write-baseline", "baseline.json", "."]);
    r.assert_code(0);
    let doc: Value = serde_json::from_str(&p.read("baseline.json")).expect("the baseline is JSON");
    let entries = doc["findings"].as_array().expect("a findings list");
    assert_eq!(entries.len(), 4, "{doc}");
    let as_tuples: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["rule"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want = as_tuples.clone();
    want.sort();
    assert_eq!(as_tuples, want, "baseline entries are sorted");
    // Writing it again gives the same bytes.
    let before = p.read("baseline.json");
    p.run(&["check", "--write-baseline", "baseline.json", "."]).assert_code(0);
    assert_eq!(before, p.read("baseline.json"));
}

#[test]
fn baseline_hides_recorded_findings() {
    let p = py_and_js();
    p.run(&["check", "--write-baseline", "b.json", "."]).assert_code(0);
    let r = p.run(&["check", "--format", "json", "--baseline", "b.json", "."]);
    r.assert_code(0);
    assert!(r.findings().is_empty(), "{}", r.describe());
}

#[test]
fn baseline_still_hides_a_finding_after_unrelated_lines_are_inserted_above() {
    let p = Project::with(&[("app.py", "import os\n\ndef run(x):\n    return eval(cache.get(x))\n")]);
    p.run(&["check", "--write-baseline", "b.json", "."]).assert_code(0);
    p.write("app.py", "import os\nimport sys\n\nLIMIT = 10\n\n\ndef run(x):\n    return eval(cache.get(x))\n");
    let r = p.run(&["check", "--format", "json", "--baseline", "b.json", "."]);
    r.assert_code(0);
    assert!(r.findings().is_empty(), "{}", r.describe());
}

#[test]
fn baseline_shows_a_new_finding_of_the_same_rule_in_the_same_file() {
    let p = Project::with(&[("app.py", "def run(x):\n    return eval(cache.get(x))\n")]);
    p.run(&["check", "--write-baseline", "b.json", "."]).assert_code(0);
    p.write("app.py", "def run(x):\n    return eval(cache.get(x))\n\n\ndef other(code):\n    exec(cache.get(code))\n");
    let r = p.run(&["check", "--format", "json", "--baseline", "b.json", "."]);
    r.assert_code(1);
    assert_eq!(r.findings(), vec![f("app.py", 6, "python/eval")]);
}

#[test]
fn baseline_shows_a_second_copy_of_an_identical_finding() {
    let p = Project::with(&[("app.py", "def run(x):\n    return eval(cache.get(x))\n")]);
    p.run(&["check", "--write-baseline", "b.json", "."]).assert_code(0);
    p.write("app.py", "def run(x):\n    return eval(cache.get(x))\n\ndef again(x):\n    return eval(cache.get(x))\n");
    let r = p.run(&["check", "--format", "json", "--baseline", "b.json", "."]);
    r.assert_code(1);
    assert_eq!(r.findings().len(), 1, "only the new copy is shown:\n{}", r.describe());
}

#[test]
fn a_baseline_written_for_the_project_applies_when_files_are_passed_explicitly() {
    // CI records the baseline for the whole tree; pre-commit passes files.
    let p = Project::with(&[("src/app.py", PY_EVAL), ("web/app.js", JS_EVAL)]);
    p.run(&["check", "--write-baseline", "b.json", "."]).assert_code(0);
    let r = p.run(&["check", "--format", "json", "--baseline", "b.json", "src/app.py", "web/app.js"]);
    r.assert_code(0);
    assert!(r.findings().is_empty(), "{}", r.describe());
}

#[test]
fn a_missing_or_malformed_baseline_is_an_error() {
    let p = py_and_js();
    let r = p.run(&["check", "--baseline", "nope.json", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("nope.json"), "{}", r.describe());
    p.write("bad.json", "[1, 2, 3]");
    let r = p.run(&["check", "--baseline", "bad.json", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("bad.json"), "{}", r.describe());
}

// ---------------------------------------------------------------------------
// rules and explain
// ---------------------------------------------------------------------------

#[test]
fn rules_lists_every_rule_with_severity_and_category() {
    let p = Project::new();
    let r = p.run(&["rules"]);
    r.assert_code(0);
    for id in ["python/eval", "node/eval"] {
        let line = r.stdout.lines().find(|l| l.split_whitespace().next() == Some(id));
        let line = line.unwrap_or_else(|| panic!("{id} not listed:\n{}", r.stdout));
        // Severity is the unknown-value one (request data raises it to error).
        assert!(line.contains("warning") && line.contains("security"), "{line}");
    }
}

#[test]
fn explain_prints_what_why_and_example_sections() {
    let p = Project::new();
    let r = p.run(&["explain", "python/eval"]);
    r.assert_code(0);
    let headings: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with('#')).collect();
    for section in ["What", "Why", "Example"] {
        assert!(
            headings.iter().any(|h| h.trim_start_matches('#').trim().starts_with(section)),
            "no '{section}' section in:\n{}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("python/eval"), "{}", r.stdout);
    assert!(r.stdout.contains("literal_eval"), "the documented fix is shown:\n{}", r.stdout);
}

#[test]
fn explain_an_unknown_rule_exits_2() {
    let p = Project::new();
    let r = p.run(&["explain", "nope"]);
    r.assert_code(2);
    assert!(r.stderr.contains("nope"), "{}", r.describe());
}

// ---------------------------------------------------------------------------
// Other formats and --stats
// ---------------------------------------------------------------------------

#[test]
fn github_format_prints_workflow_annotations() {
    let p = Project::with(&[("src/app.py", "x = 1\neval(cache.get(x))\n"), ("b.js", JS_EVAL)]);
    let r = p.run(&["check", "--format", "github", "."]);
    r.assert_code(1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(lines[0].starts_with("::warning file=b.js,line=1,"), "{}", lines[0]);
    assert!(lines[1].starts_with("::warning file=src/app.py,line=2,"), "{}", lines[1]);
    assert!(lines[1].contains("python/eval"), "{}", lines[1]);
    // The message follows the `::` that ends the properties.
    assert!(lines[1].split("::").nth(2).is_some_and(|m| m.contains("eval")), "{}", lines[1]);
}

#[test]
fn stats_prints_counters_and_phase_timings_to_stderr_only() {
    let p = py_and_js();
    let plain = p.run(&["check", "--format", "json", "."]);
    let r = p.run(&["check", "--format", "json", "--stats", "."]);
    r.assert_code(1);
    assert_eq!(r.stdout, plain.stdout, "--stats adds nothing to stdout");
    let files =
        r.stderr.lines().find(|l| l.trim_start().starts_with("files")).unwrap_or_else(|| panic!("{}", r.describe()));
    assert!(files.split_whitespace().any(|w| w == "2"), "{files}");
    let bytes =
        r.stderr.lines().find(|l| l.trim_start().starts_with("bytes")).unwrap_or_else(|| panic!("{}", r.describe()));
    assert!(bytes.split_whitespace().any(|w| w == (PY_EVAL.len() + JS_EVAL.len()).to_string()), "{bytes}");
    for phase in ["walk", "parse", "rules", "total"] {
        assert!(
            r.stderr.lines().any(|l| l.contains(phase) && l.contains("ms")),
            "no timing for '{phase}':\n{}",
            r.stderr
        );
    }
}

// ---------------------------------------------------------------------------
// Rule tests and user rules
// ---------------------------------------------------------------------------

/// Extracts N from "N passed, M failed" and asserts M == 0.
fn passed_count(stdout: &str) -> usize {
    let line = stdout.lines().find(|l| l.contains(" passed, ")).unwrap_or_else(|| panic!("no summary line:\n{stdout}"));
    assert!(line.trim_end().ends_with("0 failed"), "{line}");
    let before = line.split(" passed").next().unwrap();
    before.split_whitespace().last().unwrap().parse().unwrap_or_else(|_| panic!("no count in {line}"))
}

#[test]
fn test_rules_runs_every_builtin_example_and_passes() {
    let p = Project::new();
    let r = p.run(&["test-rules"]);
    r.assert_code(0);
    assert!(passed_count(&r.stdout) >= 4, "python/eval and node/eval have examples:\n{}", r.stdout);
}

#[test]
fn a_user_rule_from_config_rules_dirs_is_used_in_a_scan() {
    let p = Project::with(&[
        ("stackfit.toml", "rules-dirs = [\"my-rules\"]\n"),
        ("my-rules/print-call.toml", PRINT_RULE),
        ("app.py", "x = 1\nprint(x)\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_code(1);
    assert_eq!(r.findings(), vec![f("app.py", 2, "custom/print-call")]);
    let doc = r.json();
    assert_eq!(doc["findings"][0]["severity"], "warning");
    assert_eq!(doc["findings"][0]["message"], "print() writes to stdout; use logging");
    // It can be selected like a builtin rule, and is listed by `rules`.
    let r = p.run(&["check", "--format", "json", "--select", "custom/", "."]);
    assert_eq!(r.rule_ids(), vec!["custom/print-call"]);
    let r = p.run(&["rules"]);
    assert!(r.stdout.contains("custom/print-call"), "{}", r.describe());
}

#[test]
fn test_rules_with_an_absolute_dir_runs_the_user_rule_examples() {
    let p = Project::with(&[("my-rules/print-call.toml", PRINT_RULE)]);
    let dir = p.path("my-rules").display().to_string();
    let r = p.run(&["test-rules", &dir]);
    r.assert_code(0);
    assert_eq!(passed_count(&r.stdout), 2, "{}", r.describe());
}

#[test]
fn test_rules_with_a_relative_dir_runs_the_user_rule_examples() {
    let p = Project::with(&[("my-rules/print-call.toml", PRINT_RULE)]);
    let r = p.run(&["test-rules", "my-rules"]);
    r.assert_code(0);
    assert_eq!(passed_count(&r.stdout), 2, "{}", r.describe());
}

#[test]
fn test_rules_fails_when_a_user_rule_example_is_wrong() {
    let wrong = PRINT_RULE.replace("valid = '''\nlogger.info(x)", "valid = '''\nprint(y)");
    let p = Project::with(&[("my-rules/print-call.toml", &wrong)]);
    let dir = p.path("my-rules").display().to_string();
    let r = p.run(&["test-rules", &dir]);
    r.assert_code(1);
    assert!(r.stdout.contains("custom/print-call"), "{}", r.describe());
    assert!(r.stdout.contains("1 failed"), "{}", r.describe());
}

#[test]
fn a_user_rule_with_an_invalid_query_is_an_error_naming_the_file_and_the_problem() {
    let bad = PRINT_RULE.replace("(identifier) @fn", "(identifer) @fn");
    let p = Project::with(&[
        ("stackfit.toml", "rules-dirs = [\"my-rules\"]\n"),
        ("my-rules/broken.toml", &bad),
        ("app.py", PY_EVAL),
    ]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("broken.toml"), "stderr names the rule file:\n{}", r.describe());
    assert!(r.stderr.contains("identifer"), "stderr names the bad node type:\n{}", r.describe());
    assert!(r.stderr.to_lowercase().contains("query"), "{}", r.describe());
    assert!(r.stdout.is_empty(), "{}", r.describe());
}

#[test]
fn a_user_rule_reporting_a_capture_the_query_lacks_is_an_error_naming_the_capture() {
    let bad = PRINT_RULE.replace("report = \"call\"", "report = \"statement\"");
    let p = Project::with(&[
        ("stackfit.toml", "rules-dirs = [\"my-rules\"]\n"),
        ("my-rules/bad-capture.toml", &bad),
        ("app.py", PY_EVAL),
    ]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("bad-capture.toml"), "{}", r.describe());
    assert!(r.stderr.contains("statement"), "stderr names the capture:\n{}", r.describe());
}

#[test]
fn a_user_rule_reusing_a_builtin_id_is_an_error() {
    let dup = PRINT_RULE.replace("custom/print-call", "python/eval");
    let p = Project::with(&[("stackfit.toml", "rules-dirs = [\"r\"]\n"), ("r/dup.toml", &dup), ("app.py", PY_EVAL)]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("python/eval") && r.stderr.contains("dup.toml"), "{}", r.describe());
}

#[test]
fn a_missing_rules_dir_is_an_error() {
    let p = Project::with(&[("stackfit.toml", "rules-dirs = [\"nowhere\"]\n"), ("app.py", PY_EVAL)]);
    let r = p.run(&["check", "."]);
    r.assert_code(2);
    assert!(r.stderr.contains("nowhere"), "{}", r.describe());
}

const NEST_CONTROLLER: &str = r#"import { Controller, Get, Query } from "@nestjs/common";
import { UsersService } from "./users.service";

@Controller("users")
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  list(@Query("name") name: string) {
    return this.users.search(name);
  }
}
"#;

const NEST_SERVICE: &str = r#"import { Injectable } from "@nestjs/common";
import * as fs from "fs";

@Injectable()
export class UsersService {
  constructor(private readonly db: DbService) {}

  search(name: string) {
    const banner = fs.readFileSync("banner.txt", "utf8");
    // stackfit: ignore[node/sync-api-in-handler]
    const motd = fs.readFileSync("motd.txt", "utf8");
    return this.db.query(`SELECT * FROM users WHERE name = '${name}'`);
  }
}
"#;

/// (rule, line, severity) of the findings in `path`.
fn nest_findings(run: &common::Run, path: &str) -> Vec<(String, u64, String)> {
    let doc = run.json();
    let mut v: Vec<(String, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["path"] == path)
        .map(|x| {
            (
                x["rule_id"].as_str().unwrap().to_string(),
                x["start_line"].as_u64().unwrap(),
                x["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn nest_service_methods_called_from_a_controller_of_another_file_are_handlers() {
    let p = Project::with(&[("src/users.controller.ts", NEST_CONTROLLER), ("src/users.service.ts", NEST_SERVICE)]);
    let reached = vec![
        ("node/sql-injection".to_string(), 12, "error".to_string()),
        ("node/sync-api-in-handler".to_string(), 9, "warning".to_string()),
    ];
    let alone = vec![("node/sql-injection".to_string(), 12, "warning".to_string())];
    // Unknown values (no controller passes request data) are low confidence.
    let args = ["check", "--format", "json", "--select", "node/", "--stats", "--min-confidence", "low"];
    // The suppressed call on line 11 stays suppressed, and its comment counts as used.
    let run = p.run(&args);
    assert_eq!(nest_findings(&run, "src/users.service.ts"), reached, "{}", run.describe());
    assert!(!run.stderr.contains("unused suppression"), "{}", run.describe());
    // From the cache: the same.
    let run = p.run(&args);
    assert_eq!(nest_findings(&run, "src/users.service.ts"), reached, "{}", run.describe());
    // Pre-commit on the service file alone: the controller is context.
    for extra in [&[][..], &["--no-cache"][..]] {
        let mut a =
            vec!["check", "--format", "json", "--select", "node/", "--min-confidence", "low", "src/users.service.ts"];
        a.extend_from_slice(extra);
        let run = p.run(&a);
        assert_eq!(nest_findings(&run, "src/users.service.ts"), reached, "{}", run.describe());
    }
    // The controller stops calling the service: the service file's cached
    // outcome is reused, and the findings that depended on it go away.
    p.write("src/users.controller.ts", NEST_CONTROLLER.replace("this.users.search(name)", "[]"));
    let run = p.run(&args);
    assert_eq!(nest_findings(&run, "src/users.service.ts"), alone, "{}", run.describe());
    // The controller passes a constant: reached, but the SQL is not built from request data.
    p.write("src/users.controller.ts", NEST_CONTROLLER.replace("search(name)", "search(\"admin\")"));
    let run = p.run(&args);
    assert_eq!(
        nest_findings(&run, "src/users.service.ts"),
        vec![
            ("node/sql-injection".to_string(), 12, "warning".to_string()),
            ("node/sync-api-in-handler".to_string(), 9, "warning".to_string()),
        ],
        "{}",
        run.describe()
    );
    // The same class name imported from a package is not the project's service.
    p.write("src/users.controller.ts", NEST_CONTROLLER.replace("\"./users.service\"", "\"@acme/users\""));
    let run = p.run(&args);
    assert_eq!(nest_findings(&run, "src/users.service.ts"), alone, "{}", run.describe());
}
