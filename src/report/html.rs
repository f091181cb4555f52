//! `--format html`: one self-contained page for auditing a repository.
//!
//! Sections, top to bottom: the overview (what was scanned, when and how,
//! the counts and a few key facts), the fit profile with the fit findings,
//! risk at a glance (charts by severity and category, hot-spot files, the
//! rules that fire most), every finding grouped by file (message, snippet
//! with the flagged lines highlighted, related locations, suggested fix),
//! and the documentation of every rule that fired (`stackfit explain`).
//!
//! Self-contained: the stylesheet and a few lines of script are inline, the
//! charts are SVG generated here, and a Content-Security-Policy with a
//! per-report nonce forbids loading anything else (and running any script
//! but ours). Links to documentation are plain anchors. Every text that
//! comes from the scanned code, its paths or the rules is escaped
//! ([`markup::esc`]). Without scripting everything is shown and the
//! filter bar stays hidden; the script only toggles `hidden` on findings.
//!
//! Large reports: findings render lazily (`content-visibility: auto`), and
//! long lines (minified code) are clipped around the flagged columns.

mod chart;
mod guidance;
mod markup;
mod profile;

use super::{Report, SourceCache};
use crate::engine::rule::RuleMeta;
use crate::finding::{Category, Edit, Finding, Severity, Span};
use chart::{Bar, Cut, Series, Slice, Target};
use markup::{esc, inline, markdown, plural, slug, thousands, Esc};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Lines of context shown above and below a finding.
const CONTEXT: u32 = 2;
/// Flagged lines shown at most per finding; the rest is summarised.
const MAX_SPAN_LINES: u32 = 8;
/// Characters of one source line shown at most (minified code).
const MAX_LINE_CHARS: usize = 300;
/// Edits spanning more lines than this are described, not drawn as a diff.
const MAX_PATCH_LINES: u32 = 10;
/// Rows of the hot-spot and rule charts.
const TOP: usize = 10;

const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Note];
const CATEGORIES: [Category; 4] = [Category::Security, Category::Performance, Category::Concurrency, Category::Fit];
const SERIES: [Series; 3] = [
    Series { class: "s-error", one: "error", many: "errors" },
    Series { class: "s-warning", one: "warning", many: "warnings" },
    Series { class: "s-note", one: "note", many: "notes" },
];

pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(r).as_bytes())?;
    out.flush()
}

/// Findings per severity, in the order of [`SEVERITIES`].
#[derive(Default, Clone, Copy)]
struct Counts([u64; 3]);

impl Counts {
    fn add(&mut self, s: Severity) {
        self.0[sev_index(s)] += 1;
    }
    fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

fn sev_index(s: Severity) -> usize {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Note => 2,
    }
}

/// A file and its findings (indices into `report.findings`).
struct FileGroup<'a> {
    path: &'a str,
    anchor: String,
    findings: Vec<usize>,
    counts: Counts,
}

/// A rule that reported findings.
struct FiredRule<'a> {
    id: &'a str,
    meta: Option<&'a RuleMeta>,
    anchor: String,
    counts: Counts,
}

/// What every section needs: the report and its findings indexed.
struct Page<'r, 'a> {
    r: &'r Report<'a>,
    files: Vec<FileGroup<'r>>,
    /// By number of findings (most first), then id.
    rules: Vec<FiredRule<'r>>,
    rule_index: HashMap<&'r str, usize>,
    counts: Counts,
    by_category: HashMap<Category, Counts>,
    cache: SourceCache<'a>,
}

impl<'r, 'a> Page<'r, 'a> {
    fn new(r: &'r Report<'a>) -> Self {
        let mut files: Vec<FileGroup> = Vec::new();
        let mut file_index: HashMap<&str, usize> = HashMap::new();
        let mut rules: Vec<FiredRule> = Vec::new();
        let mut rule_index: HashMap<&str, usize> = HashMap::new();
        let mut counts = Counts::default();
        let mut by_category: HashMap<Category, Counts> = HashMap::new();
        let mut used_anchors: HashMap<String, usize> = HashMap::new();
        for (i, f) in r.findings.iter().enumerate() {
            counts.add(f.severity);
            by_category.entry(f.category).or_default().add(f.severity);
            let fi = *file_index.entry(f.path.as_str()).or_insert_with(|| {
                files.push(FileGroup {
                    path: &f.path,
                    anchor: format!("file-{}", files.len() + 1),
                    findings: Vec::new(),
                    counts: Counts::default(),
                });
                files.len() - 1
            });
            files[fi].findings.push(i);
            files[fi].counts.add(f.severity);
            let ri = *rule_index.entry(f.rule_id.as_str()).or_insert_with(|| {
                let base = format!("rule-{}", slug(&f.rule_id));
                let n = used_anchors.entry(base.clone()).or_insert(0);
                *n += 1;
                let anchor = if *n == 1 { base } else { format!("{base}-{n}") };
                rules.push(FiredRule { id: &f.rule_id, meta: r.rule(&f.rule_id), anchor, counts: Counts::default() });
                rules.len() - 1
            });
            rules[ri].counts.add(f.severity);
        }
        rules.sort_by(|a, b| b.counts.total().cmp(&a.counts.total()).then_with(|| a.id.cmp(b.id)));
        let rule_index = rules.iter().enumerate().map(|(i, x)| (x.id, i)).collect();
        Page { r, files, rules, rule_index, counts, by_category, cache: SourceCache::new(r.root) }
    }

    fn rule(&self, id: &str) -> Option<&FiredRule<'r>> {
        self.rule_index.get(id).map(|i| &self.rules[*i])
    }
}

/// The whole page.
pub fn page(r: &Report) -> String {
    let mut p = Page::new(r);
    // Roughly what a finding takes, to allocate once.
    let mut out = String::with_capacity(64 * 1024 + r.findings.len() * 1400);
    let nonce = nonce(r);
    let name = repo_name(r);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'nonce-{nonce}'; \
         script-src 'nonce-{nonce}'; img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; \
         form-action 'none'\">\n\
         <meta name=\"generator\" content=\"stackfit {}\">\n\
         <title>stackfit report: {}</title>\n<style nonce=\"{nonce}\">\n{CSS}</style>\n</head>\n<body>\n",
        Esc(r.version),
        Esc(&name),
    );
    top_bar(&mut out, &p, &name);
    out.push_str("<main>\n");
    overview(&mut out, &p);
    fit(&mut out, &mut p);
    risk(&mut out, &p);
    findings(&mut out, &mut p);
    rule_docs(&mut out, &p);
    out.push_str("</main>\n");
    let _ = write!(
        out,
        "<footer>Generated by stackfit {} · a self-contained report: it loads nothing from the network.</footer>\n\
         <script nonce=\"{nonce}\">\n{JS}</script>\n</body>\n</html>\n",
        Esc(r.version)
    );
    out
}

/// A value for the CSP nonce that nobody can know before the report is
/// written (the scanned code cannot plant a script that carries it).
fn nonce(r: &Report) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let local = 0u8;
    let seed = format!("{now}:{}:{:p}:{}", std::process::id(), &local, r.findings.len());
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(seed.as_bytes()))
}

fn repo_name(r: &Report) -> String {
    r.root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| r.root.display().to_string())
}

fn top_bar(out: &mut String, p: &Page, name: &str) {
    let _ = writeln!(
        out,
        "<header class=\"top\"><div class=\"wrap\"><div class=\"brand\">stackfit <span>audit report</span></div>\
         <h1>{}</h1><p class=\"root\">{}</p>\
         <nav><a href=\"#overview\">Overview</a><a href=\"#fit\">Fit profile</a><a href=\"#risk\">Risk at a glance</a>\
         <a href=\"#findings\">Findings <span class=\"pill\">{}</span></a><a href=\"#rules\">Rules</a></nav></div></header>",
        Esc(name),
        Esc(&p.r.root.display().to_string()),
        thousands(p.counts.total()),
    );
}

fn overview(out: &mut String, p: &Page) {
    let r = p.r;
    let c = p.counts.0;
    out.push_str("<section id=\"overview\">\n<h2>Overview</h2>\n<div class=\"cards\">");
    let _ = write!(
        out,
        "<a class=\"stat\" href=\"#findings\"><span class=\"n\">{}</span><span class=\"k\">findings</span></a>",
        thousands(p.counts.total())
    );
    for (i, s) in SEVERITIES.iter().enumerate() {
        let _ = write!(
            out,
            "<a class=\"stat {s}\" href=\"#findings\" data-fk=\"sev\" data-fv=\"{s}\"><span class=\"n\">{}</span>\
             <span class=\"k\">{}</span></a>",
            thousands(c[i]),
            if c[i] == 1 { s.as_str().to_string() } else { format!("{s}s") }
        );
    }
    let _ = write!(
        out,
        "<div class=\"stat\"><span class=\"n\">{}</span><span class=\"k\">of {} scanned with findings</span></div>",
        thousands(p.files.len() as u64),
        plural(r.summary.files, "file", "files"),
    );
    out.push_str("</div>\n");

    // Key facts: what a reader should take away first.
    let mut facts: Vec<String> = Vec::new();
    if p.counts.total() == 0 {
        facts.push("No findings: none of the enabled rules reported anything in the scanned files.".into());
    } else {
        let total = p.counts.total() as f64;
        if let Some((cat, n)) = CATEGORIES
            .iter()
            .filter_map(|c| p.by_category.get(c).map(|n| (c, n.total())))
            .max_by_key(|(c, n)| (*n, std::cmp::Reverse(**c)))
        {
            let mut s = String::new();
            let _ = write!(
                s,
                "<b>{:.0}%</b> of the findings are about <b>{}</b> ({}).",
                n as f64 * 100.0 / total,
                cat.as_str(),
                thousands(n)
            );
            facts.push(s);
        }
        if let Some(f) = p.files.iter().max_by_key(|f| (f.counts.total(), std::cmp::Reverse(f.path))) {
            let mut s = String::new();
            let _ = write!(
                s,
                "The hot spot is <a href=\"#{}\"><code>{}</code></a> with {} ({:.0}%).",
                f.anchor,
                Esc(f.path),
                plural(f.counts.total() as usize, "finding", "findings"),
                f.counts.total() as f64 * 100.0 / total
            );
            facts.push(s);
        }
        if let Some(rule) = p.rules.first() {
            let mut s = String::new();
            let _ = write!(
                s,
                "The rule that fires most is <a href=\"#{}\"><code>{}</code></a> ({})",
                rule.anchor,
                Esc(rule.id),
                thousands(rule.counts.total())
            );
            if let Some(m) = rule.meta {
                s.push_str(": ");
                inline(&mut s, m.summary.trim());
            }
            s.push('.');
            facts.push(s);
        }
    }
    let apps = profile::applications(&r.profile).len();
    if apps > 0 {
        facts.push(format!(
            "{} profiled: see the <a href=\"#fit\">fit profile</a>.",
            plural(apps, "application", "applications")
        ));
    }
    out.push_str("<ul class=\"facts card\">");
    for f in facts {
        let _ = write!(out, "<li>{f}</li>");
    }
    out.push_str("</ul>\n");

    // How the scan was made.
    out.push_str("<dl class=\"scan card\">");
    let when = r.summary.started_at.map(markup::utc).unwrap_or_else(|| "not recorded".into());
    let _ = write!(out, "<dt>Scanned</dt><dd>{}</dd>", Esc(&when));
    let _ = write!(out, "<dt>Directory</dt><dd><code>{}</code></dd>", Esc(&r.root.display().to_string()));
    let _ = write!(out, "<dt>stackfit</dt><dd>version {}</dd>", Esc(r.version));
    if !r.summary.command.is_empty() {
        let words: Vec<String> = r
            .summary
            .command
            .iter()
            .enumerate()
            .map(|(i, a)| if i == 0 { "stackfit".to_string() } else { shell_word(a) })
            .collect();
        let _ = write!(out, "<dt>Command</dt><dd><code>{}</code></dd>", Esc(&words.join(" ")));
    }
    let _ = write!(
        out,
        "<dt>Files</dt><dd>{} · {} lines · {}</dd>",
        plural(r.summary.files, "file", "files"),
        thousands(r.summary.lines),
        markup::bytes(r.summary.bytes)
    );
    if !r.summary.roles.is_empty() {
        // Files and findings per code role: what the findings are about.
        let parts: Vec<String> = r
            .summary
            .roles
            .iter()
            .map(|(role, n)| {
                let found = r.findings.iter().filter(|f| f.role == *role).count();
                format!("{role} {} ({})", thousands(*n as u64), plural(found, "finding", "findings"))
            })
            .collect();
        let _ = write!(out, "<dt>Roles</dt><dd>{}</dd>", Esc(&parts.join(" · ")));
    }
    let _ = write!(out, "<dt>Time</dt><dd>{}</dd>", markup::duration(r.summary.duration_ms));
    let _ = write!(
        out,
        "<dt>Rules</dt><dd><details><summary>{} enabled, {} with findings</summary><p class=\"ids\">",
        r.rules.len(),
        p.rules.len()
    );
    let mut ids: Vec<&str> = r.rules.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let _ = write!(out, "<code>{}</code> ", Esc(id));
    }
    out.push_str("</p></details></dd>");
    if r.skipped.is_empty() {
        out.push_str("<dt>Skipped</dt><dd>no file</dd>");
    } else {
        let _ = write!(
            out,
            "<dt>Skipped</dt><dd><details><summary>{} not analysed</summary><ul class=\"skipped\">",
            plural(r.skipped.len(), "file", "files")
        );
        for s in r.skipped {
            let _ = write!(out, "<li><code>{}</code>: {}</li>", Esc(&s.path), Esc(&s.reason));
        }
        out.push_str("</ul></details></dd>");
    }
    out.push_str("</dl>\n</section>\n");
}

/// An argument as a shell would need it quoted.
fn shell_word(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c)) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

fn fit(out: &mut String, p: &mut Page) {
    out.push_str("<section id=\"fit\">\n<h2>Fit profile</h2>\n");
    out.push_str(
        "<p class=\"lead\">What each application in the repository does (its workload) and whether its stack suits \
         it, following the guidance points G1–G13.</p>",
    );
    profile::render(out, &p.r.profile);
    let fit: Vec<usize> = (0..p.r.findings.len()).filter(|i| p.r.findings[*i].category == Category::Fit).collect();
    let _ = write!(out, "<h3>Fit findings <span class=\"pill\">{}</span></h3>", fit.len());
    if fit.is_empty() {
        out.push_str("<p class=\"empty\">No fit findings.</p>");
    }
    for i in fit {
        let f = &p.r.findings[i];
        let _ = write!(out, "<article class=\"fitf card {}\">", f.severity);
        header(out, p, f, i);
        message(out, f);
        let guidance: Vec<String> =
            p.rule(&f.rule_id).and_then(|x| x.meta).map(|m| m.docs.guidance.clone()).unwrap_or_default();
        if !guidance.is_empty() {
            out.push_str("<div class=\"sub\"><span class=\"lab\">Guidance</span>");
            guidance_list(out, &guidance);
            out.push_str("</div>");
        }
        if !f.related.is_empty() {
            out.push_str("<div class=\"sub\"><span class=\"lab\">Evidence</span>");
            related(out, &mut p.cache, f);
            out.push_str("</div>");
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}

fn guidance_list(out: &mut String, ids: &[String]) {
    out.push_str("<ul class=\"guidance\">");
    for g in ids {
        let _ = write!(out, "<li><b>{}</b> ", Esc(g));
        if let Some(t) = guidance::text(g) {
            inline(out, t);
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}

fn risk(out: &mut String, p: &Page) {
    out.push_str("<section id=\"risk\">\n<h2>Risk at a glance</h2>\n<div class=\"charts\">");
    let target =
        |href: &str, k: &'static str, v: &str| Target { href: href.to_string(), filter: Some((k, v.to_string())) };

    out.push_str("<figure class=\"card\"><figcaption>By severity</figcaption>");
    let slices: Vec<Slice> = SEVERITIES
        .iter()
        .enumerate()
        .map(|(i, s)| Slice {
            name: SERIES[i].many,
            class: SERIES[i].class,
            value: p.counts.0[i],
            target: target("#findings", "sev", s.as_str()),
        })
        .collect();
    chart::donut(out, "findings by severity", &slices, "findings");
    out.push_str("</figure>");

    out.push_str("<figure class=\"card\"><figcaption>By category</figcaption>");
    let bars: Vec<Bar> = CATEGORIES
        .iter()
        .map(|c| Bar {
            label: c.as_str(),
            values: p.by_category.get(c).copied().unwrap_or_default().0.to_vec(),
            target: target("#findings", "cat", c.as_str()),
        })
        .collect();
    chart::bars(out, "findings by category and severity", &bars, &SERIES, 110.0, Cut::End);
    legend(out);
    out.push_str("</figure>");

    let _ = write!(
        out,
        "<figure class=\"card\"><figcaption>Hot spots <span class=\"muted\">· the {} with the most findings</span></figcaption>",
        if p.files.len() > TOP { format!("{TOP} files") } else { "files".into() }
    );
    let mut files: Vec<&FileGroup> = p.files.iter().collect();
    files.sort_by(|a, b| b.counts.total().cmp(&a.counts.total()).then_with(|| a.path.cmp(b.path)));
    files.truncate(TOP);
    if files.is_empty() {
        out.push_str("<p class=\"empty\">No file has findings.</p>");
    } else {
        let bars: Vec<Bar> = files
            .iter()
            .map(|f| Bar {
                label: f.path,
                values: f.counts.0.to_vec(),
                target: target(&format!("#{}", f.anchor), "path", f.path),
            })
            .collect();
        chart::bars(out, "files with the most findings", &bars, &SERIES, 260.0, Cut::Start);
        if p.files.len() > TOP {
            let _ = write!(
                out,
                "<p class=\"muted small\">{} have findings in all.</p>",
                plural(p.files.len(), "file", "files")
            );
        }
    }
    out.push_str("</figure>");

    let _ = write!(
        out,
        "<figure class=\"card\"><figcaption>Rules that fire most <span class=\"muted\">· {} fired</span></figcaption>",
        plural(p.rules.len(), "rule", "rules")
    );
    if p.rules.is_empty() {
        out.push_str("<p class=\"empty\">No rule fired.</p>");
    } else {
        let bars: Vec<Bar> = p
            .rules
            .iter()
            .take(TOP)
            .map(|x| Bar {
                label: x.id,
                values: x.counts.0.to_vec(),
                target: target(&format!("#{}", x.anchor), "rule", x.id),
            })
            .collect();
        chart::bars(out, "rules with the most findings", &bars, &SERIES, 260.0, Cut::End);
    }
    out.push_str("</figure></div>\n");
    out.push_str(
        "<p class=\"muted small hint\">Click a bar or a slice to filter the findings below (hover for the exact \
         counts).</p>\n</section>\n",
    );
}

fn legend(out: &mut String) {
    out.push_str("<ul class=\"legend inline\">");
    for s in &SERIES {
        let _ = write!(
            out,
            "<li><svg class=\"swatch\" viewBox=\"0 0 10 10\" aria-hidden=\"true\"><rect class=\"{}\" width=\"10\" height=\"10\" rx=\"2\"/></svg>{}</li>",
            s.class, s.one
        );
    }
    out.push_str("</ul>");
}

fn findings(out: &mut String, p: &mut Page) {
    let total = p.r.findings.len();
    out.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    // The filter bar: shown by the script, so without scripting it stays
    // hidden and every finding is visible.
    out.push_str("<div class=\"filters card\" id=\"filters\" hidden>");
    let mut sev_opts: Vec<(String, String)> = Vec::new();
    for (i, s) in SEVERITIES.iter().enumerate() {
        if p.counts.0[i] > 0 {
            sev_opts.push((s.as_str().into(), format!("{s} ({})", thousands(p.counts.0[i]))));
        }
    }
    select(out, "sev", "Severity", &sev_opts);
    let mut cat_opts: Vec<(String, String)> = Vec::new();
    for c in CATEGORIES {
        if let Some(n) = p.by_category.get(&c) {
            cat_opts.push((c.as_str().into(), format!("{} ({})", c.as_str(), thousands(n.total()))));
        }
    }
    select(out, "cat", "Category", &cat_opts);
    let mut rules: Vec<&FiredRule> = p.rules.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(b.id));
    let rule_opts: Vec<(String, String)> =
        rules.iter().map(|x| (x.id.to_string(), format!("{} ({})", x.id, thousands(x.counts.total())))).collect();
    select(out, "rule", "Rule", &rule_opts);
    out.push_str(
        "<label>Path <input type=\"search\" data-k=\"path\" placeholder=\"part of a path\" autocomplete=\"off\"></label>\
         <button type=\"button\" id=\"f-reset\">Reset</button>",
    );
    let _ = writeln!(out, "<output id=\"f-count\">{}</output></div>", plural(total, "finding", "findings"));
    out.push_str(
        "<noscript><p class=\"muted small\">Filters need JavaScript; every finding is shown.</p></noscript>\n",
    );
    if total == 0 {
        out.push_str("<p class=\"empty\">No findings.</p>\n");
    }
    out.push_str("<p class=\"empty\" id=\"f-empty\" hidden>No finding matches the filters.</p>\n");

    let files = std::mem::take(&mut p.files);
    for g in &files {
        let _ = write!(out, "<details class=\"file\" id=\"{}\" data-path=\"{}\" open><summary>", g.anchor, Esc(g.path));
        let _ = write!(out, "<span class=\"fpath\">{}</span><span class=\"fcounts\">", Esc(g.path));
        for (i, s) in SEVERITIES.iter().enumerate() {
            if g.counts.0[i] > 0 {
                let _ = write!(
                    out,
                    "<span class=\"sev {s}\">{} {}</span>",
                    thousands(g.counts.0[i]),
                    if g.counts.0[i] == 1 { SERIES[i].one } else { SERIES[i].many }
                );
            }
        }
        out.push_str("</span></summary>\n");
        for &i in &g.findings {
            finding(out, p, i);
        }
        out.push_str("</details>\n");
    }
    p.files = files;
    out.push_str("</section>\n");
}

fn select(out: &mut String, key: &str, label: &str, options: &[(String, String)]) {
    let _ = write!(out, "<label>{label} <select data-k=\"{key}\"><option value=\"\">all</option>");
    for (v, text) in options {
        let _ = write!(out, "<option value=\"{}\">{}</option>", Esc(v), Esc(text));
    }
    out.push_str("</select></label>");
}

fn finding(out: &mut String, p: &mut Page, i: usize) {
    let f = &p.r.findings[i];
    let _ = write!(
        out,
        "<article class=\"finding {}\" id=\"f{i}\" data-sev=\"{}\" data-cat=\"{}\" data-rule=\"{}\">",
        f.severity,
        f.severity,
        f.category.as_str(),
        Esc(&f.rule_id)
    );
    header(out, p, f, i);
    message(out, f);
    snippet(out, &mut p.cache, &f.path, &f.span);
    if !f.related.is_empty() {
        out.push_str("<div class=\"sub\"><span class=\"lab\">Related</span>");
        related(out, &mut p.cache, f);
        out.push_str("</div>");
    }
    if let Some(fix) = &f.fix {
        out.push_str("<div class=\"sub fix\"><span class=\"lab\">Suggested fix</span><p>");
        inline(out, fix.description.trim());
        out.push_str("</p>");
        for e in &fix.edits {
            edit(out, &mut p.cache, f, e);
        }
        out.push_str("</div>");
    }
    out.push_str("</article>\n");
}

/// Severity, rule (linked to its docs), category, confidence, location.
fn header(out: &mut String, p: &Page, f: &Finding, i: usize) {
    let rule = p.rule(&f.rule_id);
    let anchor = rule.map(|x| x.anchor.as_str()).unwrap_or("rules");
    let _ = write!(
        out,
        "<div class=\"fh\"><span class=\"sev {}\">{}</span><a class=\"rid\" href=\"#{anchor}\">{}</a>\
         <span class=\"meta\">{} · {} confidence</span><a class=\"loc\" href=\"#f{i}\">{}:{}:{}</a>",
        f.severity,
        f.severity,
        Esc(&f.rule_id),
        f.category.as_str(),
        f.confidence.as_str(),
        Esc(&f.path),
        f.span.start_line,
        f.span.start_column,
    );
    out.push_str("</div>");
}

fn message(out: &mut String, f: &Finding) {
    out.push_str("<p class=\"msg\">");
    inline(out, f.message.trim());
    out.push_str("</p>");
}

/// 0-based char index of 1-based column `col`, clamped to the line.
fn char_at(col: u32, len: usize) -> usize {
    (col.max(1) as usize - 1).min(len)
}

/// The flagged lines with some context; the flagged columns in `<mark>`.
fn snippet(out: &mut String, cache: &mut SourceCache, path: &str, span: &Span) {
    let start = span.start_line.max(1);
    let end = span.end_line.max(start);
    let shown_end = end.min(start + MAX_SPAN_LINES - 1);
    if cache.line(path, start).is_none() {
        out.push_str("<p class=\"nosrc\">The source of this finding could not be read.</p>");
        return;
    }
    let first = start.saturating_sub(CONTEXT).max(1);
    // A long span is cut after MAX_SPAN_LINES, without context below.
    let last = if end > shown_end { shown_end } else { end + CONTEXT };
    out.push_str("<pre class=\"code\">");
    for n in first..=last {
        let Some(text) = cache.line(path, n) else { break };
        let hit = (start..=shown_end).contains(&n);
        let chars: Vec<char> = text.chars().collect();
        let mark = hit.then(|| {
            let a = if n == start { char_at(span.start_column, chars.len()) } else { 0 };
            let b = if n == end { char_at(span.end_column, chars.len()) } else { chars.len() };
            (a, b.max(a))
        });
        let _ = write!(out, "<span class=\"line{}\" data-n=\"{n}\">", if hit { " hit" } else { "" });
        code_line(out, &chars, mark);
        out.push_str("</span>");
        if n == shown_end && end > shown_end {
            let _ = write!(out, "<span class=\"line more\" data-n=\"…\">{} more flagged lines</span>", end - shown_end);
        }
    }
    out.push_str("</pre>");
}

/// One source line, clipped around the mark when it is very long.
fn code_line(out: &mut String, chars: &[char], mark: Option<(usize, usize)>) {
    let from = match mark {
        Some((a, _)) if chars.len() > MAX_LINE_CHARS && a > MAX_LINE_CHARS / 3 => a - MAX_LINE_CHARS / 3,
        _ => 0,
    };
    let to = (from + MAX_LINE_CHARS).min(chars.len());
    let text = |a: usize, b: usize| -> String { chars[a.clamp(from, to)..b.clamp(from, to)].iter().collect() };
    if from > 0 {
        out.push_str("<span class=\"clip\">…</span>");
    }
    match mark {
        Some((a, b)) if b > a => {
            esc(out, &text(from, a));
            out.push_str("<mark>");
            esc(out, &text(a, b));
            out.push_str("</mark>");
            esc(out, &text(b, to));
        }
        _ => esc(out, &text(from, to)),
    }
    if to < chars.len() {
        out.push_str("<span class=\"clip\">…</span>");
    }
}

/// Related locations (or a fit finding's evidence): place, note, code line.
fn related(out: &mut String, cache: &mut SourceCache, f: &Finding) {
    out.push_str("<ul class=\"related\">");
    for l in &f.related {
        let _ = write!(out, "<li><span class=\"loc\">{}:{}</span>", Esc(&l.path), l.span.start_line);
        if let Some(m) = &l.message {
            out.push(' ');
            inline(out, m.trim());
        }
        if let Some(code) = cache.line(&l.path, l.span.start_line) {
            let code: String = code.trim().chars().take(MAX_LINE_CHARS).collect();
            if !code.is_empty() {
                out.push_str("<code class=\"src\">");
                esc(out, &code);
                out.push_str("</code>");
            }
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}

/// An edit as removed and added lines, or described when its lines cannot
/// be read or it is too long to draw.
fn edit(out: &mut String, cache: &mut SourceCache, f: &Finding, e: &Edit) {
    match patch(cache, e) {
        Some((old, new)) => {
            if e.path != f.path {
                let _ = write!(out, "<p class=\"loc\">{}</p>", Esc(&e.path));
            }
            out.push_str("<pre class=\"code diff\">");
            for (k, l) in old.lines().enumerate() {
                let _ = write!(out, "<span class=\"line del\" data-n=\"{}\">", e.span.start_line as usize + k);
                esc(out, l);
                out.push_str("</span>");
            }
            for (k, l) in new.lines().enumerate() {
                let _ = write!(out, "<span class=\"line add\" data-n=\"{}\">", e.span.start_line as usize + k);
                esc(out, l);
                out.push_str("</span>");
            }
            out.push_str("</pre>");
        }
        None => {
            let at = format!("{}:{}:{}", e.path, e.span.start_line, e.span.start_column);
            out.push_str("<p class=\"edit\"><span class=\"loc\">");
            esc(out, &at);
            out.push_str("</span> ");
            if e.replacement.is_empty() {
                let _ = write!(out, "delete up to {}:{}", e.span.end_line, e.span.end_column);
            } else {
                let _ = write!(out, "replace up to {}:{} with ", e.span.end_line, e.span.end_column);
                out.push_str("<code>");
                esc(out, &e.replacement);
                out.push_str("</code>");
            }
            out.push_str("</p>");
        }
    }
}

/// The lines an edit touches, before and after it.
fn patch(cache: &mut SourceCache, e: &Edit) -> Option<(String, String)> {
    let Span { start_line, end_line, start_column, end_column, .. } = e.span;
    if start_line == 0 || end_line < start_line || end_line - start_line >= MAX_PATCH_LINES {
        return None;
    }
    let mut old = String::new();
    let (mut a, mut b) = (0, 0);
    for n in start_line..=end_line {
        let line = cache.line(&e.path, n)?;
        let byte =
            |col: u32| line.char_indices().nth(col.saturating_sub(1) as usize).map(|(i, _)| i).unwrap_or(line.len());
        if n == start_line {
            a = old.len() + byte(start_column);
        }
        if n == end_line {
            b = old.len() + byte(end_column);
        }
        old.push_str(line);
        old.push('\n');
    }
    if b < a {
        return None;
    }
    let new = format!("{}{}{}", &old[..a], e.replacement, &old[b..]);
    Some((old, new))
}

fn rule_docs(out: &mut String, p: &Page) {
    out.push_str("<section id=\"rules\">\n<h2>Rules</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"lead\">The documentation of the {} that reported findings, as <code>stackfit explain RULE</code> \
         prints it. {} {} enabled for this run.</p>",
        plural(p.rules.len(), "rule", "rules"),
        thousands(p.r.rules.len() as u64),
        if p.r.rules.len() == 1 { "rule was" } else { "rules were" },
    );
    let mut rules: Vec<&FiredRule> = p.rules.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(b.id));
    for x in rules {
        let _ = write!(
            out,
            "<details class=\"rule card\" id=\"{}\" open><summary><code class=\"rid\">{}</code>",
            x.anchor,
            Esc(x.id)
        );
        let Some(m) = x.meta else {
            let _ = writeln!(
                out,
                "<span class=\"count\">{}</span></summary><p class=\"muted\">No documentation: the rule was not among \
                 the rules loaded for this report.</p></details>",
                plural(x.counts.total() as usize, "finding", "findings")
            );
            continue;
        };
        let _ = write!(out, " <span class=\"sev {}\">{}</span> <span class=\"summary\">", m.severity, m.severity);
        inline(out, m.summary.trim());
        let _ = write!(
            out,
            "</span><span class=\"count\">{}</span></summary>",
            plural(x.counts.total() as usize, "finding", "findings")
        );
        let langs: Vec<&str> = m.langs.iter().map(|l| l.name()).collect();
        let _ = write!(
            out,
            "<p class=\"meta\">category <b>{}</b> · confidence <b>{}</b> · languages <b>{}</b></p>",
            m.category.as_str(),
            m.confidence.as_str(),
            Esc(&langs.join(", "))
        );
        if !m.docs.guidance.is_empty() {
            out.push_str("<h4>Guidance</h4>");
            guidance_list(out, &m.docs.guidance);
        }
        for (title, body, code) in [
            ("What it does", &m.docs.what, false),
            ("Why is this bad?", &m.docs.why, false),
            ("Example", &m.docs.example, true),
            ("Use instead", &m.docs.fix, false),
        ] {
            if body.trim().is_empty() {
                continue;
            }
            let _ = write!(out, "<h4>{title}</h4>");
            if code {
                markup::code_block(out, body.trim_matches('\n').trim_end());
            } else {
                markdown(out, body);
            }
        }
        if !m.docs.references.is_empty() {
            out.push_str("<h4>References</h4><ul class=\"refs\">");
            for r in &m.docs.references {
                out.push_str("<li>");
                markup::link(out, r.trim());
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Confidence, Fix, Location};
    use crate::report::RunSummary;

    fn span(l: u32, c: u32, el: u32, ec: u32) -> Span {
        Span { start_line: l, start_column: c, end_line: el, end_column: ec, start_byte: 0, end_byte: 0 }
    }

    fn finding(path: &str, span: Span) -> Finding {
        Finding {
            rule_id: "django/n-plus-one-fk".into(),
            severity: Severity::Warning,
            category: Category::Performance,
            confidence: Confidence::High,
            role: Default::default(),
            unless: Vec::new(),
            path: path.into(),
            span,
            message: "'b.author' is loaded once per row: add `.select_related(\"author\")`".into(),
            related: vec![],
            fix: None,
            fingerprint: String::new(),
        }
    }

    fn html(root: &std::path::Path, findings: &[Finding]) -> String {
        let report = Report {
            version: "0.1.0",
            root,
            findings,
            rules: vec![],
            summary: RunSummary { files: 1, ..Default::default() },
            skipped: &[],
            profile: serde_json::json!({"applications": []}),
        };
        page(&report)
    }

    #[test]
    fn snippet_highlights_lines_and_fix_is_a_diff() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("views.py"),
            "def v(request):\n    for b in Book.objects.all():\n        print(b.author)\n",
        )
        .unwrap();
        let mut f = finding("views.py", span(3, 15, 3, 23));
        f.related =
            vec![Location { path: "views.py".into(), span: span(2, 14, 2, 32), message: Some("the queryset".into()) }];
        f.fix = Some(Fix {
            description: "add .select_related(\"author\")".into(),
            edits: vec![Edit {
                path: "views.py".into(),
                span: span(2, 32, 2, 32),
                replacement: ".select_related(\"author\")".into(),
            }],
        });
        let out = html(dir.path(), &[f]);
        assert!(
            out.contains("<span class=\"line hit\" data-n=\"3\">        print(<mark>b.author</mark>)</span>"),
            "{out}"
        );
        assert!(out.contains("<span class=\"line\" data-n=\"1\">def v(request):</span>"));
        assert!(out.contains(
            "<span class=\"loc\">views.py:2</span> the queryset<code class=\"src\">for b in Book.objects.all():</code>"
        ));
        assert!(out.contains("<span class=\"line del\" data-n=\"2\">    for b in Book.objects.all():</span>"));
        assert!(out.contains(
            "<span class=\"line add\" data-n=\"2\">    for b in Book.objects.all().select_related(&quot;author&quot;):</span>"
        ));
        assert!(out.contains("<code>.select_related(&quot;author&quot;)</code>"));
    }

    #[test]
    fn long_lines_are_clipped_around_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        let line = format!("{}eval(x){}", "a".repeat(5000), "b".repeat(5000));
        std::fs::write(dir.path().join("min.js"), &line).unwrap();
        let out = html(dir.path(), &[finding("min.js", span(1, 5001, 1, 5008))]);
        assert!(out.contains("<mark>eval(x)</mark>"));
        assert!(out.len() < 40_000, "{}", out.len());
    }

    #[test]
    fn unreadable_source_and_multiline_spans() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        std::fs::write(dir.path().join("a.py"), text).unwrap();
        let out = html(dir.path(), &[finding("gone.py", span(1, 1, 1, 2)), finding("a.py", span(3, 3, 20, 2))]);
        assert!(out.contains("could not be read"));
        assert!(out.contains("10 more flagged lines"), "{out}");
        assert!(out.contains("data-n=\"10\""));
        assert!(!out.contains("data-n=\"11\""));
    }
}
