//! The ways people adopt stackfit: the result cache, partial runs on named
//! files (pre-commit) with project-level rules still seeing the project, and
//! a real pre-commit hook.

mod common;

use common::{f, Project};
use std::process::Command;

fn settings_project() -> Project {
    Project::with(&[
        ("manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.base')\n"),
        ("proj/__init__.py", ""),
        ("proj/settings/__init__.py", ""),
        ("proj/settings/base.py", "INSTALLED_APPS = ['django.contrib.auth']\nMIDDLEWARE = []\nDEBUG = True\n"),
        ("proj/settings/production.py", "from .base import *\n"),
        ("app/views.py", "def view(request):\n    return eval(request.GET['q'])\n"),
    ])
}

#[test]
fn a_warm_run_reads_results_from_the_cache_and_reports_the_same() {
    let p = settings_project();
    let cold = p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "--stats", "."]);
    assert!(cold.stderr.contains("files cached              0"), "{}", cold.describe());
    assert!(p.path(".stackfit_cache/.gitignore").is_file());
    let warm = p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "--stats", "."]);
    assert_eq!(cold.stdout_bytes, warm.stdout_bytes);
    assert!(warm.stderr.contains("files parsed              0"), "{}", warm.describe());
    assert_eq!(
        warm.findings(),
        vec![f("app/views.py", 2, "python/eval"), f("proj/settings/base.py", 3, "django/debug-enabled")]
    );
}

#[test]
fn an_edited_file_is_analysed_again() {
    let p = settings_project();
    p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "."]);
    p.write("app/views.py", "def view(request):\n    return eval(request.GET['q'])  # stackfit: ignore\n");
    let run = p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "--stats", "."]);
    assert!(run.stderr.contains("files parsed              1"), "{}", run.describe());
    assert!(run.stderr.contains("files cached              5"), "{}", run.describe());
    assert_eq!(run.findings(), vec![f("proj/settings/base.py", 3, "django/debug-enabled")]);
}

#[test]
fn a_corrupt_cache_is_ignored_and_rewritten() {
    let p = settings_project();
    p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "."]);
    let file = p.path(".stackfit_cache/results-v3.bin");
    assert!(file.is_file(), "the cache file has moved: update this test");
    let good = std::fs::read(&file).unwrap();
    std::fs::write(&file, &good[..good.len() / 2]).unwrap();
    let run = p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "--stats", "."]);
    run.assert_code(1);
    assert_eq!(run.findings().len(), 2);
    assert!(run.stderr.contains("files cached              0"), "{}", run.describe());
    // Rewritten whole: the next run reads every result from it.
    let again = p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "--stats", "."]);
    assert!(again.stderr.contains("files parsed              0"), "{}", again.describe());
    assert_eq!(again.findings().len(), 2);
}

#[test]
fn no_cache_neither_reads_nor_writes_the_cache() {
    let p = settings_project();
    let run = p.run(&["check", "--select", "python/eval,django/debug-enabled", "--no-cache", "--format", "json", "."]);
    assert_eq!(run.findings().len(), 2);
    assert!(!p.path(".stackfit_cache").exists());
}

#[test]
fn a_config_change_invalidates_cached_results() {
    let p = settings_project();
    p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "."]);
    p.write("stackfit.toml", "ignore = [\"python/eval\"]\n");
    let run = p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "--stats", "."]);
    assert!(run.stderr.contains("files cached              0"), "{}", run.describe());
    assert_eq!(run.findings(), vec![f("proj/settings/base.py", 3, "django/debug-enabled")]);
}

#[test]
fn named_files_report_only_their_own_findings() {
    let p = settings_project();
    let run = p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "app/views.py"]);
    assert_eq!(run.findings(), vec![f("app/views.py", 2, "python/eval")]);
}

#[test]
fn project_rules_see_files_that_were_not_named() {
    // base.py is star-imported only by a development module: it is a base,
    // not a production settings file. That takes reading dev.py, which the
    // pre-commit run below does not name.
    let p = Project::with(&[
        ("proj/settings/__init__.py", ""),
        ("proj/settings/base.py", "INSTALLED_APPS = []\nMIDDLEWARE = []\nDEBUG = True\n"),
        ("proj/settings/dev.py", "from .base import *\n"),
        (".git/HEAD", "ref: refs/heads/main\n"),
    ]);
    for cache in [&["--no-cache"][..], &[][..]] {
        let mut args = vec!["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "--stats"];
        args.extend_from_slice(cache);
        args.push("proj/settings/base.py");
        let run = p.run(&args);
        assert!(run.stderr.contains("context files"), "{}", run.describe());
        assert_eq!(run.findings(), vec![], "{}", run.describe());
    }
    // Once a production module imports it, the named base.py is reported.
    p.write("proj/settings/production.py", "from .base import *\n");
    let run =
        p.run(&["check", "--select", "python/eval,django/debug-enabled", "--format", "json", "proj/settings/base.py"]);
    assert_eq!(run.findings(), vec![f("proj/settings/base.py", 3, "django/debug-enabled")]);
}

#[test]
fn named_files_skip_the_fit_profile() {
    // manage.py anchors the fit/profile note of a full run; a run on named
    // files (pre-commit) does not compute the profile at all.
    let p = settings_project();
    let run = p.run(&["check", "--format", "json", "manage.py", "app/views.py"]);
    assert_eq!(run.findings(), vec![f("app/views.py", 2, "python/eval")]);
    assert_eq!(run.json()["profile"]["applications"], serde_json::json!([]));
}

fn have_pre_commit() -> bool {
    Command::new("pre-commit").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn git(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-home"))
        .output()
        .expect("git")
}

/// A real pre-commit run: install pre-commit from PyPI (.ci/run does), and a
/// bad commit is rejected with the finding shown, a good one goes through.
#[test]
fn pre_commit_hook_rejects_a_bad_commit_and_accepts_a_good_one() {
    if !have_pre_commit() {
        eprintln!("pre-commit is not installed (pip install pre-commit); .ci/run installs it");
        if std::env::var_os("CI").is_some() {
            panic!("pre-commit must be installed in CI");
        }
        return;
    }
    let p = Project::with(&[
        (
            ".pre-commit-config.yaml",
            &format!(
                "repos:\n  - repo: local\n    hooks:\n      - id: stackfit\n        name: stackfit\n        entry: {} check\n        language: system\n        types_or: [python, javascript, ts, tsx]\n        require_serial: true\n",
                common::bin()
            ),
        ),
        ("app/helpers.py", "def double(x):\n    return 2 * x\n"),
    ]);
    let dir = p.root();
    assert!(git(dir, &["init", "-q"]).status.success());
    let install = Command::new("pre-commit")
        .arg("install")
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-home"))
        .output()
        .unwrap();
    assert!(install.status.success(), "{}", String::from_utf8_lossy(&install.stderr));
    git(dir, &["add", "."]);
    let first = git(dir, &["commit", "-q", "-m", "good"]);
    assert!(first.status.success(), "a clean commit was rejected: {}", String::from_utf8_lossy(&first.stdout));

    p.write("app/calc.py", "def compute(request):\n    return eval(request.GET['expr'])\n");
    git(dir, &["add", "app/calc.py"]);
    let bad = git(dir, &["commit", "-q", "-m", "bad"]);
    let out = format!("{}{}", String::from_utf8_lossy(&bad.stdout), String::from_utf8_lossy(&bad.stderr));
    assert!(!bad.status.success(), "the bad commit went through:\n{out}");
    assert!(out.contains("python/eval") && out.contains("app/calc.py"), "finding not shown:\n{out}");

    p.write("app/calc.py", "import ast\ndef compute(request):\n    return ast.literal_eval(request.GET['expr'])\n");
    git(dir, &["add", "app/calc.py"]);
    let good = git(dir, &["commit", "-q", "-m", "fixed"]);
    assert!(good.status.success(), "the fixed commit was rejected: {}", String::from_utf8_lossy(&good.stdout));
}

/// A proxy config that sets the security headers covers the project it
/// belongs to, also on a run over named files, and not a sibling project of
/// the same repository.
#[test]
fn a_proxy_config_covers_its_own_project_only() {
    let app = "const express = require(\"express\");\nconst app = express();\napp.get(\"/\", (req, res) => res.send(\"ok\"));\napp.listen(3000);\n";
    let nginx = "server {\n  add_header Content-Security-Policy \"default-src 'self'\" always;\n  location / { proxy_pass http://127.0.0.1:3000; }\n}\n";
    let p = Project::with(&[
        ("shop/package.json", "{\"name\": \"shop\", \"dependencies\": {\"express\": \"^4.19.2\"}}"),
        ("shop/src/app.js", app),
        ("shop/deploy/nginx.conf", nginx),
        ("admin/package.json", "{\"name\": \"admin\", \"dependencies\": {\"express\": \"^4.19.2\"}}"),
        ("admin/src/app.js", app),
    ]);
    for args in [
        &["check", "--select", "express/missing-helmet", "--format", "json", "--no-cache", "."][..],
        &[
            "check",
            "--select",
            "express/missing-helmet",
            "--format",
            "json",
            "--no-cache",
            "shop/src/app.js",
            "admin/src/app.js",
        ][..],
    ] {
        let run = p.run(args);
        assert_eq!(run.findings(), vec![f("admin/src/app.js", 2, "express/missing-helmet")], "{}", run.describe());
    }
}
