//! Code roles (SPEC "Code roles"): what each file is — application code,
//! an operator script, a test, a migration, browser code or vendored
//! third-party code — from its path inside the project and its content.
//! The engine decides from the role which rules run on a file.
//!
//! Paths are taken relative to the project root, so folders above the
//! project never decide a role. Config `[roles]` globs come first; then the
//! path (vendored, migration, test, browser, script, in that order); then,
//! for files the path left as application or script code, the content
//! (bundler output, a library's header, DOM code without server imports,
//! test modules).

use crate::finding::Role;
use crate::parse::Lang;
use globset::GlobSet;

/// Directory names whose files are third-party code.
const VENDORED_DIRS: &[&str] =
    &["vendor", "vendors", "vendored", "_vendor", "third_party", "third-party", "thirdparty"];
/// Directory names of schema and data migrations (and seed data loaders).
const MIGRATION_DIRS: &[&str] = &["migrations", "migration", "south_migrations", "alembic", "seeders", "seeds"];
/// Directory names of tests and their helpers.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "spec",
    "specs",
    "e2e",
    "cypress",
    "playwright",
    "__mocks__",
    "__fixtures__",
    "testing",
    "testutils",
    "test_utils",
    "test-utils",
    "test_helpers",
];
/// Directory names of code served to browsers.
const BROWSER_DIRS: &[&str] = &["static", "public", "assets", "frontend"];
/// Directory names of operator, build and documentation code.
const SCRIPT_DIRS: &[&str] = &[
    "scripts",
    "script",
    "bin",
    "tools",
    "docs",
    "doc",
    "examples",
    "example",
    "demo",
    "demos",
    "benchmarks",
    "benchmark",
    "bench",
    ".github",
    ".circleci",
];
/// File names (lowercase) of operator and build code.
const SCRIPT_FILES: &[&str] = &["manage.py", "fabfile.py", "setup.py", "noxfile.py"];
/// Build-tool configuration files: `<stem>.<ext>` for any JS extension.
const BUILD_CONFIG_STEMS: &[&str] = &["gulpfile", "gruntfile", "jakefile", "webpack.config", "rollup.config"];

/// The role a file's path gives it, if any (`None`: application code as
/// far as the path tells). `rel` is relative to the project root.
pub fn role_from_path(rel: &str) -> Option<Role> {
    let lower = rel.to_ascii_lowercase();
    let mut segs: Vec<&str> = lower.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    let name = segs.pop().unwrap_or("");
    let dir_in = |set: &[&str]| segs.iter().any(|s| set.contains(s));
    if dir_in(VENDORED_DIRS) || name.contains("polyfill") {
        return Some(Role::Vendored);
    }
    if dir_in(MIGRATION_DIRS) {
        return Some(Role::Migration);
    }
    if dir_in(TEST_DIRS) || is_test_file(name, segs.last().copied()) {
        return Some(Role::Test);
    }
    if dir_in(BROWSER_DIRS) || name.contains(".stories.") {
        return Some(Role::Browser);
    }
    let management_command = segs.windows(2).any(|w| w[0] == "management" && w[1] == "commands");
    if management_command || dir_in(SCRIPT_DIRS) || is_script_file(name) {
        return Some(Role::Script);
    }
    None
}

/// Test modules by name: `tests.py`, `test_*.py`, `*_test.py`,
/// `conftest.py`, `*.test.*`, `*.spec.*`, factories, and test settings.
fn is_test_file(name: &str, parent: Option<&str>) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let py = name.ends_with(".py");
    (py && (stem == "tests"
        || stem == "test"
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem == "conftest"
        || stem == "factories"
        || stem == "settings_test"
        || stem == "testsettings"
        || (parent == Some("settings") && matches!(stem, "testing" | "test_settings"))))
        || [".test.", ".spec.", ".e2e.", "-test.", "-spec.", "_spec."].iter().any(|m| name.contains(m))
}

fn is_script_file(name: &str) -> bool {
    if SCRIPT_FILES.contains(&name) {
        return true;
    }
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let js = matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts");
    // `vite.config.ts`, `jest.config.js`, `next.config.mjs`, ...
    (js && (BUILD_CONFIG_STEMS.contains(&stem)
        || stem.ends_with(".config")
        || (stem.starts_with('.') && stem.ends_with("rc"))))
        || stem == "seed"
        || stem.starts_with("seed_")
        || stem.starts_with("seed-")
}

/// The role a file's content gives it, if any: bundler output of client
/// code (browserify, webpack, UMD) and modules using the DOM without server
/// imports run in browsers; a library's own header (`/*! jQuery v3.6.0`)
/// marks vendored code; a Python module of test cases is a test.
pub fn role_from_content(lang: Lang, text: &str) -> Option<Role> {
    if lang == Lang::Python {
        return python_test_module(text).then_some(Role::Test);
    }
    if let Some(r) = bundle_role(text) {
        return Some(r);
    }
    if library_header(text) {
        return Some(Role::Vendored);
    }
    if js_test_module(text) {
        return Some(Role::Test);
    }
    if uses_dom(text) && !server_imports(text) {
        return Some(Role::Browser);
    }
    None
}

/// Output of a bundler that inlines modules: webpack's runtime, a
/// browserify prelude, a UMD wrapper or SystemJS registrations. A bundle
/// that requires Node's built-in modules was built for a server: its code
/// is still not the project's own (vendored).
fn bundle_role(text: &str) -> Option<Role> {
    let head = prefix(text, 4096);
    let bundled = text.contains("__webpack_require__")
        || text.contains("webpackJsonp")
        || text.contains("webpackChunk")
        || browserify_prelude(head)
        || (head.contains("define.amd") && head.contains("typeof define"))
        || head.trim_start().starts_with("System.register(");
    if !bundled {
        return None;
    }
    Some(if server_imports(text) { Role::Vendored } else { Role::Browser })
}

/// `(function(){function r(e,n,t){function o(i,f){if(!n[i]){if(!e[i]){var
/// c="function"==typeof require&&require` and its older form: the module
/// loader browserify puts first.
fn browserify_prelude(head: &str) -> bool {
    let start = prefix(head.trim_start(), 300);
    (start.starts_with("(function") || start.starts_with("require=(function") || start.starts_with("!function"))
        && start.contains("typeof require")
        && start.contains("Cannot find module")
}

/// A leading comment that names a library and its version: `/*! jQuery
/// v3.6.0 | (c) ...`, `/** @license React v16.13.1`, ` * Bootstrap v4.6.0
/// (https://getbootstrap.com/)`. A project's own licence header ("Version
/// 2.0 of the Apache License") has no `v<digits>.<digits>`.
fn library_header(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let t = t.strip_prefix("#!").map_or(t, |rest| rest.split_once('\n').map_or("", |(_, r)| r.trim_start()));
    if !t.starts_with("/*") {
        return false;
    }
    let Some(end) = t.find("*/") else {
        return false;
    };
    let comment = &t[..end.min(1500)];
    let versioned = comment.as_bytes().windows(4).enumerate().any(|(i, w)| {
        (w[0] == b'v' || w[0] == b'@')
            && w[1].is_ascii_digit()
            && (w[2] == b'.' || (w[2].is_ascii_digit() && w[3] == b'.'))
            && (i == 0 || !comment.as_bytes()[i - 1].is_ascii_alphanumeric())
    });
    versioned
        && (t.starts_with("/*!") || comment.contains("@license") || comment.contains("(c)") || comment.contains("http"))
}

/// `describe(`/`it(` suites with assertions.
fn js_test_module(text: &str) -> bool {
    let mut describe = false;
    let mut case = false;
    for line in text.lines() {
        let l = line.trim_start();
        describe |= l.starts_with("describe(") || l.starts_with("describe.") || l.starts_with("suite(");
        case |= l.starts_with("it(") || l.starts_with("test(") || l.starts_with("it.") || l.starts_with("test.");
        if describe && case {
            return text.contains("expect(") || text.contains("assert") || text.contains(".should");
        }
    }
    false
}

/// A module of test cases: imports a test framework and defines `test_`
/// functions or `Test` classes.
fn python_test_module(text: &str) -> bool {
    let framework = ["import pytest", "from pytest", "from django.test", "import unittest", "from unittest"]
        .iter()
        .any(|m| text.contains(m));
    framework && (text.contains("\ndef test_") || text.contains("    def test_") || text.contains("\nclass Test"))
}

/// Browser globals used as objects: `document.`, `window.`, `localStorage`,
/// `navigator.`, `$(document)`, not as properties of something else.
fn uses_dom(text: &str) -> bool {
    const GLOBALS: &[&str] = &["document.", "window.", "localStorage.", "sessionStorage.", "navigator.", "$(document)"];
    let bytes = text.as_bytes();
    let mut hits = 0;
    for g in GLOBALS {
        let mut from = 0;
        while let Some(i) = text[from..].find(g) {
            let at = from + i;
            let before = at.checked_sub(1).map(|j| bytes[j]);
            if !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.') {
                hits += 1;
                if hits >= 2 {
                    return true;
                }
            }
            from = at + g.len();
        }
    }
    false
}

/// Node's built-in modules and server packages a file imports or requires.
fn server_imports(text: &str) -> bool {
    const SERVER: &[&str] = &[
        "fs",
        "fs/promises",
        "path",
        "http",
        "https",
        "http2",
        "net",
        "tls",
        "dgram",
        "dns",
        "child_process",
        "cluster",
        "os",
        "crypto",
        "zlib",
        "worker_threads",
        "express",
        "koa",
        "fastify",
        "@hapi/hapi",
        "mongoose",
        "sequelize",
        "typeorm",
        "knex",
        "pg",
        "mysql",
        "mysql2",
        "sqlite3",
        "redis",
        "ioredis",
        "socket.io",
        "ws",
        "@prisma/client",
        "next/server",
    ];
    if text.contains("require(\"node:")
        || text.contains("require('node:")
        || text.contains("from \"node:")
        || text.contains("from 'node:")
    {
        return true;
    }
    let mut from = 0;
    while let Some(i) = text[from..].find(['\'', '"', '`']) {
        let at = from + i;
        let q = text.as_bytes()[at];
        let rest = &text[at + 1..];
        let Some(len) = rest.find(q as char).filter(|l| *l <= 20) else {
            from = at + 1;
            continue;
        };
        let name = &rest[..len];
        let before = text[..at].trim_end();
        let import = before.ends_with("require(")
            || before.ends_with("from")
            || before.ends_with("import")
            || before.ends_with("import(");
        if import && SERVER.iter().any(|s| *s == name || name.strip_prefix(s).is_some_and(|r| r.starts_with('/'))) {
            return true;
        }
        from = at + len + 2;
    }
    false
}

/// Does a `package.json` describe a front-end package of a monorepo: a UI
/// framework or a front-end build tool among its dependencies and no server
/// framework, ORM or database driver among its runtime dependencies?
pub fn is_frontend_package(json: &str) -> bool {
    const UI: &[&str] = &[
        "react-dom",
        "vue",
        "@angular/core",
        "svelte",
        "preact",
        "solid-js",
        "vite",
        "react-scripts",
        "@vue/cli-service",
        "webpack-dev-server",
        "parcel",
        "ember-source",
    ];
    const SERVER: &[&str] = &[
        "express",
        "koa",
        "fastify",
        "@nestjs/core",
        "@hapi/hapi",
        "hapi",
        "next",
        "nuxt",
        "@remix-run/node",
        "@sveltejs/kit",
        "socket.io",
        "ws",
        "mongoose",
        "sequelize",
        "typeorm",
        "knex",
        "pg",
        "mysql",
        "mysql2",
        "@prisma/client",
        "electron",
    ];
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return false;
    };
    let names = |key: &str| -> Vec<String> {
        v.get(key).and_then(|d| d.as_object()).map(|o| o.keys().cloned().collect()).unwrap_or_default()
    };
    let runtime = names("dependencies");
    let dev = names("devDependencies");
    let has = |set: &[&str], list: &[String]| list.iter().any(|n| set.contains(&n.as_str()));
    (has(UI, &runtime) || has(UI, &dev)) && !has(SERVER, &runtime)
}

/// Decides the role of every file of a run.
#[derive(Debug, Default)]
pub struct RoleMap {
    /// The project root every path is taken relative to.
    pub project: std::path::PathBuf,
    /// Config `[roles]`: (role, globs relative to the project root).
    pub overrides: Vec<(Role, GlobSet)>,
    /// Folders (relative to the project root, `/`-terminated, `""` for the
    /// root) of front-end packages, deepest first; with `backends`, the
    /// deepest package folder above a file decides.
    pub frontends: Vec<String>,
    /// Folders of the other packages (`package.json` that is not a
    /// front-end one).
    pub backends: Vec<String>,
}

impl RoleMap {
    /// The role of the file at `path` (absolute, or relative to the current
    /// directory), with its content when it was read.
    pub fn role_at(&self, path: &std::path::Path, lang: Option<Lang>, text: Option<&str>) -> Role {
        self.role(&super::rel_path(&self.project, &std::path::absolute(path).unwrap_or_default()), lang, text)
    }

    /// The role of the file at `rel` (relative to the project root), with
    /// its content when it was read.
    pub fn role(&self, rel: &str, lang: Option<Lang>, text: Option<&str>) -> Role {
        if let Some(r) = self.configured(rel) {
            return r;
        }
        let by_path = role_from_path(rel).or_else(|| self.in_frontend_package(rel).then_some(Role::Browser));
        match by_path {
            Some(Role::Script) | None => {}
            Some(r) => return r,
        }
        if let (Some(lang), Some(text)) = (lang, text) {
            if let Some(r) = role_from_content(lang, text) {
                return r;
            }
        }
        by_path.unwrap_or(Role::App)
    }

    /// The role config globs give the path, if any (the first that matches).
    pub fn configured(&self, rel: &str) -> Option<Role> {
        self.overrides.iter().find(|(_, g)| g.is_match(rel)).map(|(r, _)| *r)
    }

    fn in_frontend_package(&self, rel: &str) -> bool {
        let deepest = |dirs: &[String]| dirs.iter().filter(|d| rel.starts_with(d.as_str())).map(|d| d.len()).max();
        match (deepest(&self.frontends), deepest(&self.backends)) {
            (Some(f), Some(b)) => f > b,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

fn prefix(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_paths() {
        let cases = [
            ("shop/views.py", None),
            ("shop/tests/test_views.py", Some(Role::Test)),
            ("shop/tests.py", Some(Role::Test)),
            ("shop/test_models.py", Some(Role::Test)),
            ("shop/models_test.py", Some(Role::Test)),
            ("conftest.py", Some(Role::Test)),
            ("src/api/users.test.ts", Some(Role::Test)),
            ("src/api/users.spec.js", Some(Role::Test)),
            ("src/__tests__/users.js", Some(Role::Test)),
            ("config/settings/test.py", Some(Role::Test)),
            ("project/test_settings.py", Some(Role::Test)),
            ("nautobot/core/testing/api.py", Some(Role::Test)),
            ("shop/migrations/0001_initial.py", Some(Role::Migration)),
            ("db/migrations/20240101-add-users.js", Some(Role::Migration)),
            ("prisma/seeders/users.ts", Some(Role::Migration)),
            ("shop/management/commands/import_orders.py", Some(Role::Script)),
            ("manage.py", Some(Role::Script)),
            ("scripts/cleanup.py", Some(Role::Script)),
            ("bin/run.js", Some(Role::Script)),
            ("webpack.config.js", Some(Role::Script)),
            (".eslintrc.js", Some(Role::Script)),
            ("src.js", None),
            ("shop/conf.py", None),
            ("vite.config.ts", Some(Role::Script)),
            ("docs/conf.py", Some(Role::Script)),
            ("prisma/seed.ts", Some(Role::Script)),
            ("shop/static/shop/cart.js", Some(Role::Browser)),
            ("public/js/app.js", Some(Role::Browser)),
            ("src/components/Button.stories.tsx", Some(Role::Browser)),
            ("static/vendor/jquery.js", Some(Role::Vendored)),
            ("src/polyfills.js", Some(Role::Vendored)),
            ("third_party/six.py", Some(Role::Vendored)),
            // Names that only look like roles.
            ("shop/testimonials.py", None),
            ("shop/contest.py", None),
            ("src/services/latest.js", None),
            ("src/static_pages.py", None),
            ("fixtures/shop/views.py", None),
            ("django/contrib/admin/views.py", None),
            ("src/tasks.py", None),
        ];
        for (path, want) in cases {
            assert_eq!(role_from_path(path), want, "{path}");
        }
    }

    #[test]
    fn roles_from_content() {
        let js = |t: &str| role_from_content(Lang::JavaScript, t);
        let webpack = "/******/ (function(modules) {\n function __webpack_require__(moduleId) {}\n})([]);\n";
        assert_eq!(js(webpack), Some(Role::Browser));
        let node_bundle = format!("{webpack}var fs = require(\"fs\");\n");
        assert_eq!(js(&node_bundle), Some(Role::Vendored));
        let browserify = "(function(){function r(e,n,t){function o(i,f){if(!n[i]){if(!e[i]){var c=\"function\"==typeof require&&require;if(!f&&c)return c(i,!0);var a=new Error(\"Cannot find module '\"+i+\"'\");}}}}})()";
        assert_eq!(js(browserify), Some(Role::Browser));
        let umd = "(function (root, factory) {\n  if (typeof define === 'function' && define.amd) { define([], factory); }\n})(this, function () {});\n";
        assert_eq!(js(umd), Some(Role::Browser));
        assert_eq!(
            js("/*! jQuery v3.6.0 | (c) OpenJS Foundation | jquery.org/license */\nvar a = 1;\n"),
            Some(Role::Vendored)
        );
        assert_eq!(js("/**\n * @license React v16.13.1\n * react.production.js\n */\n"), Some(Role::Vendored));
        // A project's own licence header is not a library's.
        assert_eq!(js("/*\n * Licensed under the Apache License, Version 2.0 (http://www.apache.org/licenses/)\n */\nconst x = 1;\n"), None);
        let dom = "const el = document.getElementById('cart');\nwindow.addEventListener('load', init);\n";
        assert_eq!(js(dom), Some(Role::Browser));
        // Server code mentioning the DOM (server-side rendering, jsdom).
        let ssr = format!("const express = require('express');\n{dom}");
        assert_eq!(js(&ssr), None);
        assert_eq!(js("import fs from 'node:fs';\ndocument.title = 'x';\nwindow.x = 1;\n"), None);
        // `req.document.` and `this.window.` are properties, not globals.
        assert_eq!(js("function f(req) { return req.document.id + this.window.size; }\nf(a.document.b);\n"), None);
        let jest = "describe('users', () => {\n  it('lists', async () => {\n    expect(await list()).toEqual([]);\n  });\n});\n";
        assert_eq!(js(jest), Some(Role::Test));
        let py = |t: &str| role_from_content(Lang::Python, t);
        assert_eq!(py("from django.test import TestCase\n\nclass TestViews(TestCase):\n    def test_list(self):\n        pass\n"), Some(Role::Test));
        assert_eq!(py("import pytest\n\ndef test_it():\n    assert True\n"), Some(Role::Test));
        assert_eq!(py("from django.test import RequestFactory\n\ndef make():\n    return RequestFactory()\n"), None);
        assert_eq!(py("def view(request):\n    return None\n"), None);
    }

    #[test]
    fn frontend_packages() {
        assert!(is_frontend_package(
            r#"{"dependencies": {"react": "18", "react-dom": "18"}, "devDependencies": {"vite": "5"}}"#
        ));
        assert!(!is_frontend_package(r#"{"dependencies": {"express": "4", "react-dom": "18"}}"#));
        assert!(!is_frontend_package(r#"{"dependencies": {"next": "14", "react-dom": "18"}}"#));
        assert!(!is_frontend_package(r#"{"dependencies": {"express": "4"}}"#));
        assert!(!is_frontend_package("not json"));
        let map = RoleMap {
            frontends: vec!["packages/web/".into()],
            backends: vec!["".into(), "packages/web/server/".into()],
            ..Default::default()
        };
        assert_eq!(map.role("packages/web/src/App.js", None, None), Role::Browser);
        assert_eq!(map.role("packages/web/server/index.js", None, None), Role::App);
        assert_eq!(map.role("packages/api/index.js", None, None), Role::App);
    }

    #[test]
    fn config_globs_come_first_and_content_only_refines_app_and_script() {
        let mut b = globset::GlobSetBuilder::new();
        b.add(globset::Glob::new("tools/**").unwrap());
        let map = RoleMap { overrides: vec![(Role::App, b.build().unwrap())], ..Default::default() };
        assert_eq!(map.role("tools/x.py", None, None), Role::App);
        assert_eq!(map.role("scripts/x.py", None, None), Role::Script);
        let dom = "document.title = 'x';\nwindow.scrollTo(0, 0);\n";
        assert_eq!(map.role("src/page.js", Some(Lang::JavaScript), Some(dom)), Role::Browser);
        assert_eq!(map.role("src/tests/page.js", Some(Lang::JavaScript), Some(dom)), Role::Test);
        assert_eq!(
            map.role("src/migrations/0001.py", Some(Lang::Python), Some("import pytest\ndef test_x(): pass\n")),
            Role::Migration
        );
    }
}
