//! `--format sarif`: SARIF 2.1.0 for code scanning.
//!
//! One run. `tool.driver.rules` lists every enabled rule (sorted by id) with
//! its documentation; each result points into that list with `ruleIndex`,
//! carries its location relative to `%SRCROOT%` (columns in Unicode code
//! points), related locations, the fix, a stable partial fingerprint and a
//! snippet of the source. The output is deterministic: no timestamps, no
//! durations; the only machine-specific value is the absolute root given as
//! `originalUriBaseIds.%SRCROOT%`.
//!
//! GitHub code scanning specifics: `properties.tags` starts with the
//! category (the `security` tag makes an alert a security alert),
//! `properties.precision` comes from the rule's confidence, and security
//! rules carry `properties.security-severity`.

use super::{Report, SourceCache};
use crate::engine::rule::RuleMeta;
use crate::finding::{Category, Confidence, Finding, Severity, Span};
use serde_json::{json, Value};
use serde_sarif::sarif as s;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::Path;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
/// The `uriBaseId` every artifact location is relative to.
pub const SRCROOT: &str = "%SRCROOT%";
/// Key of the fingerprint in `partialFingerprints`. Bump the version when
/// the fingerprint algorithm changes.
pub const FINGERPRINT_KEY: &str = "stackfit/v1";
/// `runAutomationDetails.id`: the category GitHub groups uploads under.
pub const AUTOMATION_ID: &str = "stackfit/";
/// Snippets (and the context region) are left out for locations spanning
/// more lines than this, to keep logs of large runs small.
const MAX_SNIPPET_LINES: u32 = 20;

pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let log = build(r);
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut out, &log).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The whole SARIF log of a report.
pub fn build(r: &Report) -> s::Sarif {
    let mut cache = SourceCache::new(r.root);
    let rules = rule_list(r);
    let index: HashMap<&str, usize> = rules.iter().enumerate().map(|(i, d)| (d.id(), i)).collect();

    let descriptors: Vec<s::ReportingDescriptor> = rules.iter().map(RuleRef::descriptor).collect();
    let results: Vec<s::Result> =
        r.findings.iter().map(|f| result(f, index.get(f.rule_id.as_str()).copied(), &mut cache)).collect();

    let mut driver = s::ToolComponent::builder()
        .name("stackfit")
        .full_name(format!("stackfit {}", r.version))
        .version(r.version)
        .semantic_version(r.version)
        .rules(descriptors)
        .build();
    driver.information_uri = information_uri();

    let run = s::Run::builder()
        .tool(s::Tool::builder().driver(driver).build())
        .automation_details(s::RunAutomationDetails::builder().id(AUTOMATION_ID).build())
        .invocations(vec![s::Invocation::builder().execution_successful(true).build()])
        .column_kind(json!("unicodeCodePoints"))
        .original_uri_base_ids(BTreeMap::from([(
            SRCROOT.to_string(),
            s::ArtifactLocation::builder().uri(dir_file_uri(r.root)).build(),
        )]))
        .results(results)
        .properties(property_bag(
            None,
            [(
                "stackfit",
                json!({
                    "summary": {
                        "files": r.summary.files,
                        "bytes": r.summary.bytes,
                        "lines": r.summary.lines,
                        "skipped": r.summary.skipped,
                    },
                    "profile": r.profile,
                }),
            )],
        ))
        .build();

    s::Sarif::builder().schema(SCHEMA_URI).version(json!(SARIF_VERSION)).runs(vec![run]).build()
}

/// `tool.driver.informationUri`: the package's homepage or repository, as
/// declared in Cargo.toml; left out while neither is declared.
fn information_uri() -> Option<String> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")].into_iter().find(|u| !u.is_empty()).map(str::to_string)
}

/// A rule of the run: its metadata, or only its id for a finding whose rule
/// is not among the enabled ones (so that every `ruleIndex` resolves).
enum RuleRef<'a> {
    Meta(&'a RuleMeta),
    Bare(&'a str),
}

impl RuleRef<'_> {
    fn id(&self) -> &str {
        match self {
            RuleRef::Meta(m) => &m.id,
            RuleRef::Bare(id) => id,
        }
    }

    fn descriptor(&self) -> s::ReportingDescriptor {
        match self {
            RuleRef::Meta(m) => rule_descriptor(m),
            RuleRef::Bare(id) => s::ReportingDescriptor::builder()
                .id(*id)
                .name(camel_case(id))
                .short_description(text_message(id))
                .build(),
        }
    }
}

/// Every enabled rule sorted by id, then any rule only a finding names.
fn rule_list<'a>(r: &Report<'a>) -> Vec<RuleRef<'a>> {
    let mut metas: Vec<&RuleMeta> = r.rules.clone();
    metas.sort_by(|a, b| a.id.cmp(&b.id));
    metas.dedup_by(|a, b| a.id == b.id);
    let mut rules: Vec<RuleRef> = metas.into_iter().map(RuleRef::Meta).collect();
    let mut extra: Vec<&str> =
        r.findings.iter().map(|f| f.rule_id.as_str()).filter(|id| r.rules.iter().all(|m| m.id != *id)).collect();
    extra.sort_unstable();
    extra.dedup();
    rules.extend(extra.into_iter().map(RuleRef::Bare));
    rules
}

fn rule_descriptor(m: &RuleMeta) -> s::ReportingDescriptor {
    let mut props: Vec<(&str, Value)> = vec![("precision", json!(precision(m.confidence)))];
    if m.category == Category::Security {
        props.push(("security-severity", json!(security_severity(m.severity))));
    }
    let mut d = s::ReportingDescriptor::builder()
        .id(m.id.as_str())
        .name(camel_case(&m.id))
        .short_description(text_message(&m.summary))
        .help(s::MultiformatMessageString::builder().text(help_text(m)).markdown(help_markdown(m)).build())
        .default_configuration(s::ReportingConfiguration::builder().level(json!(m.severity.as_str())).build())
        .properties(property_bag(Some(tags(m)), props))
        .build();
    let what = m.docs.what.trim();
    if !what.is_empty() {
        d.full_description = Some(text_message(what));
    }
    d
}

fn text_message(text: &str) -> s::MultiformatMessageString {
    s::MultiformatMessageString::builder().text(text.trim()).build()
}

fn property_bag<'k>(tags: Option<Vec<String>>, props: impl IntoIterator<Item = (&'k str, Value)>) -> s::PropertyBag {
    s::PropertyBag { tags, additional_properties: props.into_iter().map(|(k, v)| (k.to_string(), v)).collect() }
}

/// `tags`: the category first, then the rule's languages and CWE ids in
/// GitHub's `external/cwe/cwe-NNN` form (taken from cwe.mitre.org links
/// among the references).
fn tags(m: &RuleMeta) -> Vec<String> {
    let mut tags = vec![m.category.as_str().to_string()];
    for l in &m.langs {
        let name = l.name().to_string();
        if !tags.contains(&name) {
            tags.push(name);
        }
    }
    for r in &m.docs.references {
        if let Some(n) = cwe_number(r) {
            let tag = format!("external/cwe/cwe-{n:03}");
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    tags
}

/// `95` from `https://cwe.mitre.org/data/definitions/95.html`.
fn cwe_number(reference: &str) -> Option<u32> {
    let rest = reference.split("cwe.mitre.org/data/definitions/").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

pub fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

/// GitHub's `security-severity` (a CVSS-like score, as a string).
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Note => "2.0",
    }
}

/// `django/n-plus-one-fk` → `DjangoNPlusOneFk`.
pub fn camel_case(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for word in id.split(|c: char| !c.is_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The language of the rule's code examples, for Markdown code fences.
fn fence_lang(m: &RuleMeta) -> &'static str {
    m.langs.first().map(|l| l.name()).unwrap_or("")
}

/// The rule's docs as plain text (`help.text`).
fn help_text(m: &RuleMeta) -> String {
    let d = &m.docs;
    let mut s = String::new();
    push_para(&mut s, None, d.what.trim());
    push_para(&mut s, Some("Why is this bad?"), d.why.trim());
    let example = indent(d.example.trim_matches('\n'));
    push_para(&mut s, Some("Example:"), &example);
    push_para(&mut s, Some("Use instead:"), d.fix.trim());
    if !d.references.is_empty() {
        let refs: Vec<String> = d.references.iter().map(|r| format!("- {r}")).collect();
        push_para(&mut s, Some("References:"), &refs.join("\n"));
    }
    if s.is_empty() {
        s.push_str(m.summary.trim());
    }
    s
}

/// The rule's docs as Markdown (`help.markdown`), shaped like `stackfit explain`.
fn help_markdown(m: &RuleMeta) -> String {
    let d = &m.docs;
    let mut s = format!("**{}**: {}\n", m.id, m.summary.trim());
    let mut section = |title: &str, body: &str| {
        if !body.trim().is_empty() {
            s.push_str(&format!("\n## {title}\n\n{}\n", body.trim_end()));
        }
    };
    section("What it does", d.what.trim());
    section("Why is this bad?", d.why.trim());
    let example = d.example.trim_matches('\n');
    if !example.trim().is_empty() {
        section("Example", &format!("```{}\n{}\n```", fence_lang(m), example.trim_end()));
    }
    section("Use instead", d.fix.trim());
    if !d.references.is_empty() {
        let refs: Vec<String> = d.references.iter().map(|r| format!("- <{r}>")).collect();
        section("References", &refs.join("\n"));
    }
    s
}

fn push_para(s: &mut String, title: Option<&str>, body: &str) {
    if body.trim().is_empty() {
        return;
    }
    if !s.is_empty() {
        s.push_str("\n\n");
    }
    if let Some(t) = title {
        s.push_str(t);
        s.push('\n');
    }
    s.push_str(body.trim_end());
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| if l.trim().is_empty() { String::new() } else { format!("    {l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

fn result(f: &Finding, rule_index: Option<usize>, cache: &mut SourceCache) -> s::Result {
    let level = match f.severity {
        Severity::Error => s::ResultLevel::Error,
        Severity::Warning => s::ResultLevel::Warning,
        Severity::Note => s::ResultLevel::Note,
    };
    let mut res = s::Result::builder()
        .rule_id(f.rule_id.as_str())
        .level(level)
        .message(s::Message::builder().text(f.message.as_str()).build())
        .locations(vec![location(&f.path, &f.span, None, None, cache)])
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT_KEY.to_string(), f.fingerprint.clone())]))
        .properties(property_bag(
            None,
            [
                ("category", json!(f.category.as_str())),
                ("confidence", json!(f.confidence.as_str())),
                ("role", json!(f.role.as_str())),
            ],
        ))
        .build();
    res.rule_index = rule_index.map(|i| i as i64);
    if !f.related.is_empty() {
        res.related_locations = Some(
            f.related
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let msg = l.message.as_deref().unwrap_or("Related location.");
                    location(&l.path, &l.span, Some(i as i64 + 1), Some(msg), cache)
                })
                .collect(),
        );
    }
    if let Some(fix) = &f.fix {
        // One artifactChange per file, in the order the edits name them.
        let mut changes: Vec<(&str, Vec<s::Replacement>)> = Vec::new();
        for e in &fix.edits {
            let rep = s::Replacement::builder()
                .deleted_region(bare_region(&e.span))
                .inserted_content(s::ArtifactContent::builder().text(e.replacement.as_str()).build())
                .build();
            match changes.iter_mut().find(|(p, _)| *p == e.path) {
                Some((_, reps)) => reps.push(rep),
                None => changes.push((&e.path, vec![rep])),
            }
        }
        let artifact_changes: Vec<s::ArtifactChange> = changes
            .into_iter()
            .map(|(path, replacements)| {
                s::ArtifactChange::builder()
                    .artifact_location(artifact_location(path))
                    .replacements(replacements)
                    .build()
            })
            .collect();
        res.fixes = Some(vec![s::Fix::builder()
            .description(s::Message::builder().text(fix.description.as_str()).build())
            .artifact_changes(artifact_changes)
            .build()]);
    }
    res
}

/// A location with its region, the region's text as snippet, and the whole
/// lines around it as context region.
fn location(path: &str, span: &Span, id: Option<i64>, message: Option<&str>, cache: &mut SourceCache) -> s::Location {
    let mut region = bare_region(span);
    let mut context = None;
    if span.start_line >= 1 && span.end_line >= span.start_line && span.end_line - span.start_line < MAX_SNIPPET_LINES {
        if let Some(lines) = source_lines(cache, path, span.start_line, span.end_line) {
            region.snippet = Some(content(region_text(&lines, span)));
            let mut c = s::Region::builder().start_line(span.start_line as i64).end_line(span.end_line as i64).build();
            c.snippet = Some(content(lines.join("\n")));
            context = Some(c);
        }
    }
    let mut phys = s::PhysicalLocation::builder().artifact_location(artifact_location(path)).region(region).build();
    phys.context_region = context;
    let mut loc = s::Location::builder().physical_location(phys).build();
    loc.id = id;
    loc.message = message.map(|m| s::Message::builder().text(m).build());
    loc
}

fn content(text: String) -> s::ArtifactContent {
    s::ArtifactContent::builder().text(text).build()
}

/// Lines `start..=end` of a file, if it can still be read.
fn source_lines(cache: &mut SourceCache, path: &str, start: u32, end: u32) -> Option<Vec<String>> {
    (start..=end).map(|n| cache.line(path, n).map(str::to_string)).collect()
}

/// The text a span covers, cut out of its whole lines (columns are 1-based
/// code points, the end is exclusive).
fn region_text(lines: &[String], span: &Span) -> String {
    let last = lines.len().saturating_sub(1);
    let mut parts = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let from = if i == 0 { span.start_column.saturating_sub(1) as usize } else { 0 };
        let to = if i == last { span.end_column.saturating_sub(1) as usize } else { usize::MAX };
        parts.push(line.chars().skip(from).take(to.saturating_sub(from)).collect::<String>());
    }
    parts.join("\n")
}

/// Lines and columns only: what `deletedRegion` and the result region share.
fn bare_region(span: &Span) -> s::Region {
    let start_line = span.start_line.max(1);
    let start_column = span.start_column.max(1);
    let mut end_line = span.end_line.max(start_line);
    let mut end_column = span.end_column.max(1);
    if end_line == start_line && end_column < start_column {
        end_column = start_column;
    }
    if span.end_line == 0 {
        // No end recorded: the region is the start position.
        end_line = start_line;
        end_column = start_column;
    }
    s::Region::builder()
        .start_line(start_line as i64)
        .start_column(start_column as i64)
        .end_line(end_line as i64)
        .end_column(end_column as i64)
        .build()
}

/// A finding path as an artifact location: relative paths are URI
/// references against `%SRCROOT%`, absolute ones become `file:` URIs.
fn artifact_location(path: &str) -> s::ArtifactLocation {
    let p = Path::new(path);
    if p.is_absolute() {
        s::ArtifactLocation::builder().uri(file_uri(p, false)).build()
    } else {
        s::ArtifactLocation::builder().uri(encode_path(&path.replace('\\', "/"))).uri_base_id(SRCROOT).build()
    }
}

/// `file:///abs/dir/` for a directory (always with the trailing slash
/// `originalUriBaseIds` needs).
fn dir_file_uri(dir: &Path) -> String {
    file_uri(dir, true)
}

fn file_uri(p: &Path, dir: bool) -> String {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut s = abs.to_string_lossy().replace('\\', "/");
    // Windows verbatim prefixes (`\\?\C:\...`, `\\?\UNC\server\...`).
    if let Some(rest) = s.strip_prefix("//?/UNC/") {
        s = format!("//{rest}");
    } else if let Some(rest) = s.strip_prefix("//?/") {
        s = rest.to_string();
    }
    if dir && !s.ends_with('/') {
        s.push('/');
    }
    if let Some(unc) = s.strip_prefix("//") {
        // `//server/share/`: the server is the URI's authority.
        format!("file://{}", encode_path(unc))
    } else if s.starts_with('/') {
        format!("file://{}", encode_path(&s))
    } else {
        // `C:/dir/`: keep the drive's colon.
        let (drive, rest) = s.split_at(s.find('/').unwrap_or(s.len()));
        format!("file:///{drive}{}", encode_path(rest))
    }
}

/// Percent-encodes what may not appear literally in a URI path (RFC 3986
/// `pchar` plus `/`, with `:` also encoded so that a relative path is never
/// read as a scheme).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rule::{RuleOrigin, RuleSpec};
    use crate::finding::{Edit, Fix, Location};
    use crate::report::RunSummary;

    fn span(l: u32, c: u32, el: u32, ec: u32) -> Span {
        Span { start_line: l, start_column: c, end_line: el, end_column: ec, start_byte: 0, end_byte: 0 }
    }

    /// A rule built the way rule files are loaded, so that the test does not
    /// depend on every field of `RuleMeta`.
    fn meta(id: &str, category: &str) -> RuleMeta {
        let toml = format!(
            r#"
id = "{id}"
languages = ["python"]
severity = "warning"
category = "{category}"
summary = "a summary"
[docs]
what = "What."
why = "Why."
example = "x = 1\n"
fix = "Fix."
references = ["https://cwe.mitre.org/data/definitions/89.html"]
"#
        );
        let spec: RuleSpec = toml::from_str(&toml).unwrap();
        RuleMeta::from_spec(&spec, RuleOrigin::Builtin).unwrap()
    }

    fn render_to_value(r: &Report) -> Value {
        let mut buf = Vec::new();
        render(r, &mut buf).unwrap();
        assert!(buf.ends_with(b"}\n"));
        serde_json::from_slice(&buf).unwrap()
    }

    #[test]
    fn camel_case_ids() {
        assert_eq!(camel_case("django/n-plus-one-fk"), "DjangoNPlusOneFk");
        assert_eq!(camel_case("python/eval"), "PythonEval");
    }

    #[test]
    fn uris() {
        assert_eq!(encode_path("app/my views.py"), "app/my%20views.py");
        assert_eq!(encode_path("a:b/é#.py"), "a%3Ab/%C3%A9%23.py");
        assert_eq!(dir_file_uri(Path::new("/tmp/x y")), "file:///tmp/x%20y/");
        assert_eq!(dir_file_uri(Path::new("/")), "file:///");
    }

    #[test]
    fn region_text_cuts_columns() {
        let lines = vec!["    return eval(q)".to_string(), "  more()".to_string()];
        assert_eq!(region_text(&lines[..1], &span(1, 12, 1, 19)), "eval(q)");
        assert_eq!(region_text(&lines, &span(1, 12, 2, 5)), "eval(q)\n  mo");
    }

    #[test]
    fn full_result_shape() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app")).unwrap();
        std::fs::write(
            dir.path().join("app/views.py"),
            "def v(request):\n    for b in Book.objects.all():\n        print(b.author)\n",
        )
        .unwrap();
        let perf = meta("django/n-plus-one-fk", "performance");
        let sec = meta("python/sql", "security");
        let finding = Finding {
            rule_id: "django/n-plus-one-fk".into(),
            severity: Severity::Warning,
            category: Category::Performance,
            confidence: Confidence::Medium,
            role: Default::default(),
            unless: Vec::new(),
            path: "app/views.py".into(),
            span: span(3, 15, 3, 23),
            message: "'b.author' is loaded once per row".into(),
            related: vec![Location {
                path: "app/views.py".into(),
                span: span(2, 14, 2, 32),
                message: Some("the queryset".into()),
            }],
            fix: Some(Fix {
                description: "add .select_related(\"author\")".into(),
                edits: vec![Edit {
                    path: "app/views.py".into(),
                    span: span(2, 32, 2, 32),
                    replacement: ".select_related(\"author\")".into(),
                }],
            }),
            fingerprint: "0123456789abcdef:0".into(),
        };
        let findings = vec![finding];
        let report = Report {
            version: "0.1.0",
            root: dir.path(),
            findings: &findings,
            rules: vec![&sec, &perf],
            summary: RunSummary { files: 1, bytes: 10, lines: 3, skipped: 0, duration_ms: 99, ..Default::default() },
            skipped: &[],
            profile: json!({"applications": []}),
        };
        let v = render_to_value(&report);
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules[0]["id"], "django/n-plus-one-fk");
        assert_eq!(rules[1]["properties"]["security-severity"], "5.0");
        assert_eq!(rules[1]["properties"]["tags"], json!(["security", "python", "external/cwe/cwe-089"]));
        assert!(rules[0]["properties"].get("security-severity").is_none());
        let res = &run["results"][0];
        assert_eq!(res["ruleIndex"], 0);
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"], json!({"uri": "app/views.py", "uriBaseId": "%SRCROOT%"}));
        assert_eq!(loc["region"]["snippet"]["text"], "b.author");
        assert_eq!(loc["contextRegion"]["snippet"]["text"], "        print(b.author)");
        assert_eq!(res["relatedLocations"][0]["id"], 1);
        assert_eq!(res["relatedLocations"][0]["message"]["text"], "the queryset");
        let rep = &res["fixes"][0]["artifactChanges"][0]["replacements"][0];
        assert_eq!(rep["deletedRegion"], json!({"endColumn": 32, "endLine": 2, "startColumn": 32, "startLine": 2}));
        assert_eq!(rep["insertedContent"]["text"], ".select_related(\"author\")");
        assert_eq!(res["partialFingerprints"]["stackfit/v1"], "0123456789abcdef:0");
        assert!(run["properties"]["stackfit"]["summary"].get("duration_ms").is_none());

        // The whole log is valid against the official schema. Its pattern for
        // `run.language` has an unescaped `]`, which ECMA-262 accepts outside
        // a class but the validator's meta-schema check does not: escape it.
        let schema_text = include_str!("../../tests/data/sarif-schema-2.1.0.json")
            .replace(r#"[a-zA-Z]{2}]?$"#, r#"[a-zA-Z]{2}\\]?$"#);
        let schema: Value = serde_json::from_str(&schema_text).unwrap();
        let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
