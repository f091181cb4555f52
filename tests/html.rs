//! `--format html`: the audit report. File contents and paths are untrusted
//! and must come out as text only; the page must load nothing from the
//! network; charts, findings, filters and rule docs must be there; a report
//! of 10,000 findings must stay a reasonable size. (The page is also
//! rendered in headless Chromium by `.ci/browser-test.sh`.)

mod common;

use common::Project;
use serde_json::json;
use stackfit::engine::rule::{RuleMeta, RuleOrigin, RuleSpec};
use stackfit::finding::{Category, Confidence, Finding, Location, Severity, Span};
use stackfit::report::{html, Report, RunSummary};

/// Elements the report is made of; anything else is markup that leaked.
const TAGS: &[&str] = &[
    "!doctype",
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "nav",
    "a",
    "span",
    "main",
    "section",
    "ul",
    "li",
    "b",
    "code",
    "dl",
    "dt",
    "dd",
    "details",
    "summary",
    "figure",
    "figcaption",
    "svg",
    "rect",
    "text",
    "circle",
    "title",
    "label",
    "select",
    "option",
    "input",
    "button",
    "output",
    "noscript",
    "article",
    "pre",
    "mark",
    "footer",
    "script",
];

/// Every tag of `html` as (name, attributes), outside `<style>`/`<script>`
/// bodies. Escaped text never contains `<`, so each `<` opens a tag.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let inner = &rest[..end];
        rest = &rest[end + 1..];
        if inner.starts_with('/') {
            continue;
        }
        let inner = inner.trim_end_matches('/');
        let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
        let name = inner[..name_end].to_ascii_lowercase();
        let mut attrs = Vec::new();
        let mut a = inner[name_end..].trim();
        while !a.is_empty() {
            let key_end = a.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(a.len());
            let key = a[..key_end].to_string();
            a = a[key_end..].trim_start();
            let mut value = String::new();
            if let Some(v) = a.strip_prefix('=') {
                let v = v.strip_prefix('"').expect("attribute values are double-quoted");
                let close = v.find('"').expect("closed attribute value");
                value = v[..close].to_string();
                a = v[close + 1..].trim_start();
            }
            attrs.push((key, value));
        }
        if name == "style" || name == "script" {
            let close = format!("</{name}>");
            let body_end = rest.find(&close).expect("closed style/script");
            rest = &rest[body_end..];
        }
        out.push((name, attrs));
    }
    out
}

/// The report of `project` as `stackfit check --format html` writes it.
fn html_of(p: &Project, extra: &[&str]) -> String {
    let mut args = vec!["check", "--format", "html", "--fail-on", "never", "--no-cache"];
    args.extend_from_slice(extra);
    let run = p.run(&args);
    run.assert_code(0);
    assert!(run.stderr.trim().is_empty(), "{}", run.describe());
    run.stdout
}

const EVIL_PATH: &str = "\"><img src=x onerror=alert(1)>.js";
const EVIL_JS: &str = "eval(\"<script>alert(1)</script>\" + x);\n";
const EVIL_PY_PATH: &str = "<script>alert(2)</py/'quote'&amp.py";
const EVIL_PY: &str = "# </script><script>alert(3)</script>\nexec('\"><svg onload=alert(4)>' + s)\n";

#[test]
fn malicious_code_and_paths_appear_as_text_only() {
    let p = Project::with(&[(EVIL_PATH, EVIL_JS), (EVIL_PY_PATH, EVIL_PY)]);
    let html = html_of(&p, &["--min-confidence", "low"]);

    // Both findings are there, with their code and paths as escaped text.
    assert_eq!(html.matches("<article class=\"finding").count(), 2, "{html}");
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.js"), "{html}");
    assert!(html.contains("eval(&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; + x)"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/py/&#39;quote&#39;&amp;amp.py"), "{html}");
    assert!(html.contains("# &lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;"), "{html}");
    assert!(html.contains("exec(&#39;&quot;&gt;&lt;svg onload=alert(4)&gt;&#39; + s)"), "{html}");

    // No markup leaked: only the report's own elements, no event handler
    // attributes, one script (ours, carrying the CSP nonce).
    let tags = tags(&html);
    for (name, attrs) in &tags {
        assert!(TAGS.contains(&name.as_str()), "unexpected element <{name}> in\n{html}");
        for (k, v) in attrs {
            assert!(!k.starts_with("on"), "event handler attribute {k}={v:?} on <{name}>");
            assert!(!v.contains('<') && !v.contains('"'), "unescaped attribute value {k}={v:?}");
        }
    }
    let scripts: Vec<_> = tags.iter().filter(|(n, _)| n == "script").collect();
    assert_eq!(scripts.len(), 1);
    assert!(scripts[0].1.iter().any(|(k, _)| k == "nonce"));
    assert!(!html.contains("<img") && !html.contains("<svg onload"));
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(html.matches("</script>").count(), 1);
}

#[test]
fn the_page_loads_nothing_from_anywhere() {
    let p = Project::with(&[
        ("app.js", "// see https://evil.example/x.js\neval(cache.get(x));\n"),
        ("views.py", "import os\neval(os.environ['X'])\n"),
    ]);
    let html = html_of(&p, &[]);
    let tags = tags(&html);
    for (name, attrs) in &tags {
        assert!(!matches!(name.as_str(), "link" | "img" | "iframe" | "object" | "embed" | "image" | "use"));
        for (k, v) in attrs {
            assert!(!matches!(k.as_str(), "src" | "srcset" | "xlink:href" | "background" | "poster"), "<{name} {k}>");
            if k == "href" {
                assert_eq!(name, "a", "href on <{name}>");
                // In-page anchors, or documentation links that only a click follows.
                assert!(v.starts_with('#') || v.starts_with("https://") || v.starts_with("http://"), "{v}");
            }
        }
    }
    // Nothing in the stylesheet fetches (fonts, images, imports).
    let css = &html[html.find("<style").unwrap()..html.find("</style>").unwrap()];
    for needle in ["@import", "url(", "@font-face", "http"] {
        assert!(!css.contains(needle), "{needle} in the stylesheet");
    }
    let script = &html[html.find("<script").unwrap()..html.find("</script>").unwrap()];
    for needle in ["http", "fetch(", "XMLHttpRequest", "import(", "innerHTML", "eval(", "document.write"] {
        assert!(!script.contains(needle), "{needle} in the script");
    }
    // A Content-Security-Policy forbids any load, and any script but ours.
    let csp = tags
        .iter()
        .find(|(n, a)| n == "meta" && a.iter().any(|(k, v)| k == "http-equiv" && v == "Content-Security-Policy"))
        .expect("CSP meta");
    let content = &csp.1.iter().find(|(k, _)| k == "content").unwrap().1;
    assert!(content.contains("default-src 'none'"), "{content}");
    assert!(content.contains("script-src 'nonce-"), "{content}");
    // The code's URL is shown as text, never as a link.
    assert!(html.contains("// see https://evil.example/x.js"));
    assert!(!html.contains("href=\"https://evil.example"));
}

#[test]
fn charts_findings_filters_and_rule_docs_are_present() {
    let p = Project::with(&[
        ("src/calc.js", "const v = eval(req.body.x);\nsetTimeout(\"poll(\" + id + \")\", 10);\n"),
        ("src/util.js", "new Function(\"a\", body);\n"),
        ("app/views.py", "def v(request):\n    return eval(request.GET['q'])\n"),
    ]);
    // Unknown values (outside any handler) are low confidence: shown here.
    let html = html_of(&p, &["--min-confidence", "low"]);
    for id in ["overview", "fit", "risk", "findings", "rules", "filters"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    // Four charts: severity donut, categories, hot spots, rules.
    assert_eq!(html.matches("<svg class=\"chart").count(), 4, "{html}");
    assert!(html.contains("<svg class=\"chart donut\""));
    assert!(html.contains("aria-label=\"files with the most findings\""));
    assert!(html.contains("<title>src/calc.js: 2 warnings</title>"), "{html}");
    assert!(html.contains("<title>node/eval: 3 warnings</title>"), "{html}");
    // Every finding, with its filter attributes, message, snippet and docs link.
    assert_eq!(html.matches("<article class=\"finding").count(), 4);
    assert!(html.contains(
        "<article class=\"finding error\" id=\"f0\" data-sev=\"error\" data-cat=\"security\" data-rule=\"python/eval\">"
    ));
    assert!(html.contains("<a class=\"rid\" href=\"#rule-node-eval\""));
    assert!(html.contains("<span class=\"line hit\" data-n=\"1\">const v = <mark>eval(req.body.x)</mark>;"));
    assert!(html.contains("<details class=\"file\" id=\"file-2\" data-path=\"src/calc.js\" open>"), "{html}");
    // Filters: severity, category, rule and path, hidden until the script runs.
    assert!(html.contains("<div class=\"filters card\" id=\"filters\" hidden>"));
    for k in ["sev", "cat", "rule", "path"] {
        assert!(html.contains(&format!("data-k=\"{k}\"")), "filter {k}");
    }
    assert!(html.contains("<option value=\"node/eval\">node/eval (3)</option>"));
    // Without scripting everything is visible: only the filter bar and the
    // "no match" note start hidden.
    assert_eq!(html.matches(" hidden>").count(), 2);
    // The rule docs, as `stackfit explain` gives them.
    assert!(html.contains("<details class=\"rule card\" id=\"rule-node-eval\" open>"));
    for h in ["What it does", "Why is this bad?", "Example", "Use instead", "References", "Guidance"] {
        assert!(html.contains(&format!("<h4>{h}</h4>")), "{h}");
    }
    assert!(html.contains("<b>G12</b> Injection"));
    // The overview: counts, scan facts and the hot spot.
    assert!(html.contains("<span class=\"n\">1</span><span class=\"k\">error</span>"), "{html}");
    assert!(html.contains("<span class=\"n\">3</span><span class=\"k\">warnings</span>"), "{html}");
    assert!(html.contains("<dt>Command</dt><dd><code>stackfit check --format html"));
    assert!(html.contains("The hot spot is <a href=\"#file-2\"><code>src/calc.js</code></a> with 2 findings (50%)."));
    assert!(html.contains("No application profile"));
}

#[test]
fn a_clean_project_still_gets_a_page() {
    let p = Project::with(&[("ok.py", "print(1)\n")]);
    let html = html_of(&p, &[]);
    assert!(html.contains("No findings: none of the enabled rules reported anything"));
    assert!(html.contains("<p class=\"empty\">No file has findings.</p>"));
    assert!(html.ends_with("</html>\n"));
}

#[test]
fn json_and_sarif_stay_deterministic() {
    let p = Project::with(&[("app.js", "eval(cache.get(x));\n")]);
    for format in ["json", "sarif"] {
        let a = p.run(&["check", "--format", format, "--no-cache"]);
        let b = p.run(&["check", "--format", format, "--no-cache"]);
        assert_eq!(a.stdout_bytes, b.stdout_bytes, "{format}");
        assert!(!a.stdout.contains("started_at") && !a.stdout.contains("\"command\""), "{format}");
    }
}

/// 100 files × 100 `eval(cache.get(x))` lines: 10,000 findings.
#[test]
fn ten_thousand_findings() {
    let p = Project::new();
    let body = "eval(cache.get(x));\n".repeat(100);
    for i in 0..100 {
        p.write(&format!("src/mod{i:03}.js"), &body);
    }
    let out = p.path("report.html");
    let run = p.run(&["check", "--format", "html", "--no-cache", "--output", out.to_str().unwrap()]);
    run.assert_code(1);
    let html = std::fs::read_to_string(&out).unwrap();
    assert_eq!(html.matches("<article class=\"finding").count(), 10_000);
    assert_eq!(html.matches("<details class=\"file\"").count(), 100);
    assert!(html.contains("<span class=\"n\">10,000</span><span class=\"k\">findings</span>"));
    // Hot spots and rules show the top ten only.
    assert_eq!(html.matches("data-fk=\"path\"").count(), 10);
    let size = html.len();
    eprintln!("10,000 findings: {size} bytes");
    assert!(size < 12 * 1024 * 1024, "the report of 10,000 findings takes {size} bytes");
}

fn span(l: u32, c: u32, el: u32, ec: u32) -> Span {
    Span { start_line: l, start_column: c, end_line: el, end_column: ec, start_byte: 0, end_byte: 0 }
}

const FIT_RULE: &str = r#"
id = "fit/node-cpu-bound"
languages = ["js"]
severity = "warning"
category = "fit"
summary = "CPU-heavy work in Node request paths"
[docs]
what = "w"
why = "y"
example = "e"
fix = "f"
guidance = ["G2", "G4"]
"#;

/// The profile's shape is still being designed: whatever it holds renders.
#[test]
fn fit_profile_and_fit_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("server.js"), "app.get('/t', (req, res) => sharp(buf).resize(10));\n").unwrap();
    let spec: RuleSpec = toml::from_str(FIT_RULE).unwrap();
    let meta = RuleMeta::from_spec(&spec, RuleOrigin::Builtin).unwrap();
    let findings = vec![Finding {
        rule_id: "fit/node-cpu-bound".into(),
        severity: Severity::Warning,
        category: Category::Fit,
        confidence: Confidence::Medium,
        role: Default::default(),
        unless: Vec::new(),
        path: "server.js".into(),
        span: span(1, 1, 1, 10),
        message: "image resizing in `GET /t` runs on the event loop".into(),
        related: vec![Location {
            path: "server.js".into(),
            span: span(1, 32, 1, 52),
            message: Some("`sharp(...).resize` in a request handler".into()),
        }],
        fix: None,
        fingerprint: String::new(),
    }];
    let profile = json!({"applications": [
        {"name": "<gateway>", "stack": "express", "version": "4.21.0",
         "workload": {"routes": 14, "websocket endpoints": 2, "cpu-heavy sites": 3, "ml imports": 0},
         "findings": ["fit/node-cpu-bound"]},
        {"name": "backend", "stack": "django", "version": {"declared": ">=5.2"},
         "workload": [{"signal": "views", "share": 0.5}, {"signal": "orm models", "share": 0.3}, {"signal": "admin", "share": 0.2}],
         "serving": "wsgi"},
        "something else",
        {"workload": {"x": "many"}}
    ]});
    let report = Report {
        version: "9.9.9",
        root: dir.path(),
        findings: &findings,
        rules: vec![&meta],
        summary: RunSummary { files: 1, lines: 1, ..Default::default() },
        skipped: &[],
        profile,
    };
    let html = html::page(&report);
    assert_eq!(html.matches("<article class=\"app card\">").count(), 4);
    assert!(html.contains("<h3>&lt;gateway&gt;</h3>"));
    assert_eq!(html.matches("<svg class=\"chart shares\"").count(), 2);
    assert!(html.contains("<span class=\"k\">routes</span> <span class=\"v\">14</span> <span class=\"pct\">74%</span>"));
    assert!(html.contains("<span class=\"k\">views</span> <span class=\"v\"></span> <span class=\"pct\">50%</span>"));
    assert!(html.contains("<span class=\"tag\">{&quot;declared&quot;:&quot;&gt;=5.2&quot;}</span>"), "{html}");
    assert!(html.contains("<dt>serving</dt><dd>wsgi</dd>"));
    assert!(html.contains("<h3>Application 3</h3>"));
    // The fit finding, with its guidance and evidence.
    let fit = &html[html.find("<article class=\"fitf").unwrap()..];
    let fit = &fit[..fit.find("</article>").unwrap()];
    assert!(fit.contains("image resizing in <code>GET /t</code> runs on the event loop"), "{fit}");
    assert!(fit.contains("<b>G2</b> The Node.js event loop must never be blocked"), "{fit}");
    assert!(fit.contains("<b>G4</b> Python/Django is the natural home"), "{fit}");
    assert!(fit.contains("<span class=\"lab\">Evidence</span>"), "{fit}");
    assert!(fit.contains("<code>sharp(...).resize</code> in a request handler"), "{fit}");
    assert!(html.contains("4 applications profiled"));
}
