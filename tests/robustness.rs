//! Hostile inputs: huge, deeply nested, undecodable, binary, unreadable or
//! broken files and symlink loops. Every run must finish (exit code 0 or 1,
//! never 2), say at most warnings on stderr, never panic, and keep analysing
//! the rest of the project.

mod common;

use common::{f, Project, JS_EVAL, PY_EVAL};

/// `x = [[[...]]]` nested `depth` times, on one line.
fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

// ---------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------

/// 5 MB of minified JavaScript on one line, with an eval at its very end.
fn minified_js() -> String {
    let mut s = "var a=1,b=function(c){return c+1};".repeat(5 * 1024 * 1024 / 35);
    s.push_str("eval(cache.get(x));");
    assert!(s.len() > 5_000_000);
    assert!(!s.contains('\n'));
    s
}

#[test]
fn a_5mb_single_line_minified_file_is_skipped_by_default() {
    let p = Project::with(&[("static/app.js", &minified_js()), ("views.py", PY_EVAL)]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("views.py", 1, "python/eval")]);
    let doc = r.json();
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{doc}");
    assert_eq!(skipped[0]["path"], "static/app.js");
    assert!(skipped[0]["reason"].as_str().unwrap().contains("minified"), "{doc}");
}

#[test]
fn a_5mb_single_line_minified_file_is_parsed_with_no_default_excludes() {
    let code = minified_js();
    let p = Project::with(&[("lib/app.js", &code)]);
    let r = p.run(&["check", "--format", "json", "--no-default-excludes", "."]);
    r.assert_survived().assert_code(1);
    let doc = r.json();
    assert_eq!(doc["summary"]["files"], 1, "{doc}");
    let fnd = &doc["findings"][0];
    assert_eq!(fnd["rule_id"], "node/eval");
    assert_eq!(fnd["start_line"], 1);
    assert_eq!(fnd["start_column"], (code.len() - "eval(cache.get(x));".len() + 1) as u64);
}

// ---------------------------------------------------------------------------
// Deep nesting
// ---------------------------------------------------------------------------

#[test]
fn ten_thousand_nested_brackets_in_python_do_not_overflow_the_stack() {
    let p = Project::with(&[
        ("brackets.py", &format!("x = {}\n", nested("[", "]", 10_000))),
        ("parens.py", &format!("y = {}\n", nested("(", ")", 10_000))),
        ("dicts.py", &format!("z = {}1{}\n", "{1: ".repeat(10_000), "}".repeat(10_000))),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(0);
    assert_eq!(r.json()["summary"]["files"], 3);
}

#[test]
fn ten_thousand_nested_brackets_in_javascript_do_not_overflow_the_stack() {
    // One long line looks minified, so also scan with --no-default-excludes.
    let p = Project::with(&[
        ("brackets.js", &format!("const x = {};\n", nested("[", "]", 10_000))),
        ("parens.js", &format!("const y = {}1{};\n", "(".repeat(10_000), ")".repeat(10_000))),
        ("objects.js", &format!("const z = {}1{};\n", "{a: ".repeat(10_000), "}".repeat(10_000))),
        ("multiline.js", &format!("const w = {};\n", nested("[\n", "]\n", 10_000))),
    ]);
    let r = p.run(&["check", "--format", "json", "--no-default-excludes", "."]);
    r.assert_survived().assert_code(0);
    assert_eq!(r.json()["summary"]["files"], 4);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(0);
}

#[test]
fn an_eval_after_deep_nesting_is_still_reported_in_python() {
    let p = Project::with(&[
        ("brackets.py", &format!("x = {}\neval(cache.get(y))\n", nested("[", "]", 10_000))),
        ("calls.py", &format!("x = {}1{}\neval(cache.get(y))\n", "f(".repeat(10_000), ")".repeat(10_000))),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("brackets.py", 2, "python/eval"), f("calls.py", 2, "python/eval")]);
}

#[test]
fn an_eval_after_deep_nesting_is_still_reported_in_javascript() {
    let p = Project::with(&[
        ("brackets.js", &format!("const x = {};\neval(cache.get(y));\n", nested("[", "]", 10_000))),
        ("multiline.js", &format!("const x = {};\neval(cache.get(y));\n", nested("[\n", "]\n", 10_000))),
        ("calls.js", &format!("const x = {}1{};\neval(cache.get(y));\n", "f(".repeat(10_000), ")".repeat(10_000))),
    ]);
    let r = p.run(&["check", "--format", "json", "--no-default-excludes", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(
        r.findings(),
        vec![f("brackets.js", 2, "node/eval"), f("calls.js", 2, "node/eval"), f("multiline.js", 20_002, "node/eval")]
    );
}

// ---------------------------------------------------------------------------
// Undecodable and binary files
// ---------------------------------------------------------------------------

#[test]
fn invalid_utf8_is_a_warning_naming_the_file_and_the_rest_is_analysed() {
    let p = Project::new();
    p.write("latin1.py", b"name = \"Jos\xe9\"\neval(name)\n".as_slice());
    p.write("views.py", PY_EVAL);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    let warning = r.stderr.lines().find(|l| l.contains("latin1.py")).unwrap_or_else(|| panic!("{}", r.describe()));
    assert!(warning.contains("warning"), "{warning}");
    assert!(warning.contains("UTF-8"), "the warning says why: {warning}");
    assert_eq!(r.findings(), vec![f("views.py", 1, "python/eval")]);
}

#[test]
fn a_binary_file_named_app_js_is_a_warning_and_the_run_goes_on() {
    let p = Project::new();
    p.write("app.js", b"\x7fELF\x02\x01\x01\x00\x00\x00eval(cache.get(x));\x00\x00\xff\xfe".as_slice());
    p.write("server.js", JS_EVAL);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    let warning = r.stderr.lines().find(|l| l.contains("app.js")).unwrap_or_else(|| panic!("{}", r.describe()));
    assert!(warning.contains("warning"), "{warning}");
    assert_eq!(r.findings(), vec![f("server.js", 1, "node/eval")]);
}

#[test]
fn an_explicitly_named_binary_file_is_a_warning_too() {
    let p = Project::new();
    p.write("app.js", b"\x00\x00\x00\x00".as_slice());
    let r = p.run(&["check", "--format", "json", "app.js"]);
    r.assert_survived().assert_code(0);
    assert!(r.stderr.contains("app.js"), "{}", r.describe());
}

// ---------------------------------------------------------------------------
// Symlinks and unreadable files
// ---------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_at_most_a_warning_and_other_findings_are_reported() {
    let p = Project::with(&[("dir/inner.py", PY_EVAL), ("top.js", JS_EVAL)]);
    std::os::unix::fs::symlink(p.path("dir"), p.path("dir/link")).unwrap();
    std::os::unix::fs::symlink("..", p.path("dir/up")).unwrap();
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("dir/inner.py", 1, "python/eval"), f("top.js", 1, "node/eval")]);
    // Starting the walk through the loop itself.
    let r = p.run(&["check", "--format", "json", "dir/link/link/up/dir"]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("inner.py", 1, "python/eval")]);
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_named_on_the_command_line_is_a_warning() {
    let p = Project::with(&[("ok.py", PY_EVAL)]);
    std::os::unix::fs::symlink("gone.py", p.path("dangling.py")).unwrap();
    let r = p.run(&["check", "--format", "json", "dangling.py", "ok.py"]);
    r.assert_survived().assert_code(1);
    let warning = r.stderr.lines().find(|l| l.contains("dangling.py")).unwrap_or_else(|| panic!("{}", r.describe()));
    assert!(warning.contains("warning"), "{warning}");
    assert_eq!(r.findings(), vec![f("ok.py", 1, "python/eval")]);
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_found_while_walking_does_not_stop_the_run() {
    let p = Project::with(&[("ok.py", PY_EVAL)]);
    std::os::unix::fs::symlink("gone.py", p.path("dangling.py")).unwrap();
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("ok.py", 1, "python/eval")]);
}

/// A read error that happens even as root: `/proc/self/mem` has a regular
/// file's metadata but reading it from offset 0 fails with EIO.
#[cfg(target_os = "linux")]
#[test]
fn a_file_whose_read_fails_is_a_warning_and_the_run_goes_on() {
    if !std::path::Path::new("/proc/self/mem").exists() {
        eprintln!("skipped: /proc/self/mem is not available");
        return;
    }
    let p = Project::with(&[("ok.py", PY_EVAL)]);
    std::os::unix::fs::symlink("/proc/self/mem", p.path("unreadable.py")).unwrap();
    let r = p.run(&["check", "--format", "json", "unreadable.py", "ok.py"]);
    r.assert_survived().assert_code(1);
    let warning = r.stderr.lines().find(|l| l.contains("unreadable.py")).unwrap_or_else(|| panic!("{}", r.describe()));
    assert!(warning.contains("warning") && warning.contains("read"), "{warning}");
    assert_eq!(r.findings(), vec![f("ok.py", 1, "python/eval")]);
}

/// File permissions do not stop root from reading, so this variant only
/// runs for an unprivileged user (the /proc/self/mem test above covers the
/// read-error path as root).
#[cfg(unix)]
#[test]
fn a_file_without_read_permission_is_a_warning_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    if common::running_as_root() {
        eprintln!("skipped: running as root, permissions do not block reads");
        return;
    }
    let p = Project::with(&[("secret.py", PY_EVAL), ("ok.py", PY_EVAL)]);
    std::fs::set_permissions(p.path("secret.py"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let r = p.run(&["check", "--format", "json", "."]);
    std::fs::set_permissions(p.path("secret.py"), std::fs::Permissions::from_mode(0o644)).unwrap();
    r.assert_survived().assert_code(1);
    let warning = r.stderr.lines().find(|l| l.contains("secret.py")).unwrap_or_else(|| panic!("{}", r.describe()));
    assert!(warning.contains("warning"), "{warning}");
    assert_eq!(r.findings(), vec![f("ok.py", 1, "python/eval")]);
}

#[test]
fn a_directory_named_like_a_source_file_is_walked_not_read() {
    let p = Project::with(&[("pkg.py/inner.py", PY_EVAL), ("empty.js/.keep", "")]);
    let r = p.run(&["check", "--format", "json", "pkg.py", "empty.js"]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("pkg.py/inner.py", 1, "python/eval")]);
}

#[test]
fn a_file_removed_between_runs_is_simply_gone() {
    let p = Project::with(&[("a.py", PY_EVAL), ("b.py", PY_EVAL)]);
    let r = p.run(&["check", "--format", "json", "."]);
    assert_eq!(r.findings().len(), 2);
    std::fs::remove_file(p.path("a.py")).unwrap();
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("b.py", 1, "python/eval")]);
}

// ---------------------------------------------------------------------------
// Broken and degenerate source
// ---------------------------------------------------------------------------

#[test]
fn python_with_syntax_errors_still_has_its_parseable_parts_analysed() {
    let code = "def broken(:\n    return ((\n\nclass = 3\n\ndef later(x):\n    return eval(cache.get(x))\n";
    let p = Project::with(&[("broken.py", code)]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("broken.py", 7, "python/eval")]);
}

#[test]
fn javascript_with_syntax_errors_still_has_its_parseable_parts_analysed() {
    let code = "function broken( {\n  return [1, 2;\n}\n\nfunction later(x) {\n  return eval(cache.get(x));\n}\n";
    let p = Project::with(&[("broken.js", code)]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("broken.js", 6, "node/eval")]);
}

#[test]
fn empty_files_are_analysed_without_findings() {
    let p = Project::with(&[("empty.py", ""), ("empty.js", ""), ("empty.ts", "")]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(0);
    assert!(r.stderr.is_empty(), "{}", r.describe());
    assert_eq!(r.json()["summary"]["files"], 3);
}

#[test]
fn files_holding_only_a_byte_order_mark_are_analysed_without_findings() {
    let p = Project::new();
    p.write("bom.py", b"\xef\xbb\xbf".as_slice());
    p.write("bom.js", b"\xef\xbb\xbf".as_slice());
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(0);
    assert!(r.stderr.is_empty(), "{}", r.describe());
    assert_eq!(r.json()["summary"]["files"], 2);
}

#[test]
fn code_after_a_byte_order_mark_is_analysed() {
    let p = Project::new();
    p.write("bom.py", b"\xef\xbb\xbfimport os\neval(cache.get(x))\n".as_slice());
    p.write("bom.js", b"\xef\xbb\xbf'use strict';\neval(cache.get(x));\n".as_slice());
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("bom.js", 2, "node/eval"), f("bom.py", 2, "python/eval")]);
}

#[test]
fn a_byte_order_mark_does_not_shift_columns_on_the_first_line() {
    let p = Project::new();
    p.write("bom.py", b"\xef\xbb\xbfeval(cache.get(x))\n".as_slice());
    let r = p.run(&["check", "--format", "json", "."]);
    let doc = r.json();
    assert_eq!(doc["findings"][0]["start_column"], 1, "{doc}");
    assert_eq!(doc["findings"][0]["end_column"], 19, "{doc}");
}

#[test]
fn crlf_line_endings_and_nul_free_control_characters_are_fine() {
    let p = Project::with(&[
        ("win.py", "import os\r\n\r\neval(cache.get(x))\r\n"),
        ("ctl.js", "const a = '\u{7}\u{1b}[0m';\r\neval(cache.get(x));\r\n"),
    ]);
    let r = p.run(&["check", "--format", "json", "."]);
    r.assert_survived().assert_code(1);
    assert_eq!(r.findings(), vec![f("ctl.js", 2, "node/eval"), f("win.py", 3, "python/eval")]);
}

#[test]
fn many_hostile_files_together_still_finish_with_the_good_findings() {
    let p = Project::new();
    p.write("bad.py", b"\xff\xfe\xfd".as_slice());
    p.write("bin.js", b"\x00eval(cache.get(x))".as_slice());
    p.write("deep.py", format!("x = {}\n", nested("[", "]", 10_000)));
    p.write("empty.py", "");
    p.write("broken.py", "def (:\n");
    p.write("good.py", PY_EVAL);
    p.write("good.js", JS_EVAL);
    for jobs in ["1", "4"] {
        let r = p.run(&["check", "--format", "json", "--jobs", jobs, "."]);
        r.assert_survived().assert_code(1);
        assert_eq!(r.findings(), vec![f("good.js", 1, "node/eval"), f("good.py", 1, "python/eval")]);
        assert_eq!(r.stderr.lines().filter(|l| l.contains("warning")).count(), 2, "{}", r.describe());
    }
}
