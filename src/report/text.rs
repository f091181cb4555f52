//! `--format text`: compact diagnostics with a code snippet and the fix.
//!
//! ```text
//! shop/views.py:5:31: error[python/eval] eval() runs code assembled at run time from ...
//!   |
//! 5 |     return JsonResponse({"v": eval(request.GET["q"])})
//!   |                               ^^^^^^^^^^^^^^^^^^^^^^^
//!   |
//!   = note: shop/views.py:2: the queryset
//! help: add .select_related("author")
//!   |
//! 2 -     for b in Book.objects.all():
//! 2 +     for b in Book.objects.all().select_related("author"):
//!   |
//!
//! Found 1 finding (1 error, 0 warnings, 0 notes) in 2 files.
//! ```
//!
//! The header line is `path:line:col: severity[rule-id] message` (what
//! editors and `grep` pick up); the snippet, notes and fix are rendered by
//! `annotate-snippets`. A finding whose file can no longer be read prints
//! its header only.

use super::{Report, SourceCache};
use crate::finding::{Edit, Finding, Severity, Span};
use annotate_snippets::renderer::{AnsiColor, Effects, Style};
use annotate_snippets::{AnnotationKind, Group, Level, Patch, Renderer, Snippet};
use std::io::{self, BufWriter, Write};

/// Edits spanning more lines than this are described, not drawn as a diff.
const MAX_PATCH_LINES: u32 = 10;

pub fn render(r: &Report, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(64 * 1024, out);
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut cache = SourceCache::new(r.root);
    for f in r.findings {
        write_header(&mut out, f, color)?;
        if let Some(body) = body(f, &mut cache, &renderer) {
            writeln!(out, "{body}")?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(r))?;
    out.flush()
}

fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

fn level_style(s: Severity) -> Style {
    let c = match s {
        Severity::Error => AnsiColor::BrightRed,
        Severity::Warning => AnsiColor::BrightYellow,
        Severity::Note => AnsiColor::BrightGreen,
    };
    c.on_default().effects(Effects::BOLD)
}

/// `path:line:col: severity[rule-id] message`
fn write_header(out: &mut impl Write, f: &Finding, color: bool) -> io::Result<()> {
    let bold = Style::new().effects(Effects::BOLD);
    let level = level_style(f.severity);
    writeln!(
        out,
        "{}:{}:{}: {}{} {}",
        paint(color, bold, &f.path),
        f.span.start_line,
        f.span.start_column,
        paint(color, level, f.severity.as_str()),
        paint(color, bold, &format!("[{}]", f.rule_id)),
        one_line(&f.message),
    )
}

fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r']).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" ")
    } else {
        s.to_string()
    }
}

fn level_of(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// Byte offset of 1-based code-point column `col` in `line` (clamped).
fn byte_at(line: &str, col: u32) -> usize {
    let n = col.saturating_sub(1) as usize;
    line.char_indices().nth(n).map(|(i, _)| i).unwrap_or(line.len())
}

/// The snippet with the span underlined, related locations as notes and the
/// fix as a help group; `None` when the finding's line cannot be read.
fn body(f: &Finding, cache: &mut SourceCache, renderer: &Renderer) -> Option<String> {
    let line = cache.line(&f.path, f.span.start_line)?.to_string();
    // Multi-line spans: underline the first line, from the start column on.
    let start = byte_at(&line, f.span.start_column);
    let end =
        if f.span.end_line == f.span.start_line { byte_at(&line, f.span.end_column).max(start) } else { line.len() };
    let mut main = Group::with_level(level_of(f.severity)).element(
        Snippet::source(line.as_str())
            .line_start(f.span.start_line as usize)
            .annotation(AnnotationKind::Primary.span(start..end)),
    );
    let notes: Vec<String> = f
        .related
        .iter()
        .map(|l| match &l.message {
            Some(m) => format!("{}:{}: {}", l.path, l.span.start_line, one_line(m)),
            None => format!("{}:{}", l.path, l.span.start_line),
        })
        .collect();
    for n in &notes {
        main = main.element(Level::NOTE.message(n.as_str()));
    }

    let mut patch_sources = Vec::new();
    let mut fix_notes = Vec::new();
    if let Some(fix) = &f.fix {
        for e in &fix.edits {
            match patch_source(e, cache) {
                Some(p) => patch_sources.push((e, p)),
                None => fix_notes.push(describe_edit(e)),
            }
        }
    }
    let mut groups = vec![main];
    if let Some(fix) = &f.fix {
        let mut help = Group::with_title(Level::HELP.secondary_title(one_line(&fix.description)));
        for (e, (source, range)) in &patch_sources {
            let mut snippet = Snippet::source(source.as_str())
                .line_start(e.span.start_line as usize)
                .patch(Patch::new(range.clone(), e.replacement.as_str()));
            if e.path != f.path {
                snippet = snippet.path(e.path.as_str());
            }
            help = help.element(snippet);
        }
        for n in &fix_notes {
            help = help.element(Level::NOTE.no_name().message(n.as_str()));
        }
        groups.push(help);
    }
    Some(renderer.render(&groups))
}

/// The lines an edit touches and the edit's byte range within them.
fn patch_source(e: &Edit, cache: &mut SourceCache) -> Option<(String, std::ops::Range<usize>)> {
    let Span { start_line, end_line, start_column, end_column, .. } = e.span;
    if start_line == 0 || end_line < start_line || end_line - start_line >= MAX_PATCH_LINES {
        return None;
    }
    let mut source = String::new();
    let mut range = 0..0;
    for n in start_line..=end_line {
        let line = cache.line(&e.path, n)?;
        if n == start_line {
            range.start = source.len() + byte_at(line, start_column);
        }
        if n == end_line {
            range.end = source.len() + byte_at(line, end_column);
        }
        source.push_str(line);
        source.push('\n');
    }
    if range.end < range.start {
        return None;
    }
    Some((source, range))
}

fn describe_edit(e: &Edit) -> String {
    let at = format!("{}:{}:{}", e.path, e.span.start_line, e.span.start_column);
    if e.replacement.is_empty() {
        format!("{at}: delete up to {}:{}", e.span.end_line, e.span.end_column)
    } else {
        format!("{at}: replace up to {}:{} with: {}", e.span.end_line, e.span.end_column, e.replacement)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `Found N findings (E errors, W warnings, N notes) in F files.`
fn summary(r: &Report) -> String {
    let files = plural(r.summary.files, "file", "files");
    if r.findings.is_empty() {
        return format!("No findings in {files}.");
    }
    let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    format!(
        "Found {} ({}, {}, {}) in {files}.",
        plural(r.findings.len(), "finding", "findings"),
        plural(count(Severity::Error), "error", "errors"),
        plural(count(Severity::Warning), "warning", "warnings"),
        plural(count(Severity::Note), "note", "notes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Category, Confidence, Fix, Location};
    use crate::report::RunSummary;

    fn span(l: u32, c: u32, el: u32, ec: u32) -> Span {
        Span { start_line: l, start_column: c, end_line: el, end_column: ec, start_byte: 0, end_byte: 0 }
    }

    fn finding(path: &str, severity: Severity, span: Span) -> Finding {
        Finding {
            rule_id: "django/n-plus-one-fk".into(),
            severity,
            category: Category::Performance,
            confidence: Confidence::High,
            role: Default::default(),
            unless: Vec::new(),
            path: path.into(),
            span,
            message: "'b.author' is loaded once per row".into(),
            related: vec![],
            fix: None,
            fingerprint: String::new(),
        }
    }

    fn render_plain(root: &std::path::Path, findings: &[Finding], files: usize) -> String {
        let report = Report {
            version: "0",
            root,
            findings,
            rules: vec![],
            summary: RunSummary { files, ..Default::default() },
            skipped: &[],
            profile: serde_json::Value::Null,
        };
        let mut buf = Vec::new();
        render(&report, &mut buf, false).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn snippet_notes_and_fix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("views.py"),
            "def v(request):\n    for b in Book.objects.all():\n        print(b.author)\n",
        )
        .unwrap();
        let mut f = finding("views.py", Severity::Warning, span(3, 15, 3, 23));
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
        let text = render_plain(dir.path(), &[f], 1);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "views.py:3:15: warning[django/n-plus-one-fk] 'b.author' is loaded once per row");
        assert!(text.contains("3 |         print(b.author)\n"), "{text}");
        assert!(text.contains("  |               ^^^^^^^^\n"), "{text}");
        assert!(text.contains("= note: views.py:2: the queryset"), "{text}");
        assert!(text.contains("help: add .select_related(\"author\")"), "{text}");
        assert!(text.contains(".select_related(\"author\"):"), "{text}");
        assert!(text.ends_with("\nFound 1 finding (0 errors, 1 warning, 0 notes) in 1 file.\n"), "{text}");
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn unreadable_file_prints_header_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = finding("gone.py", Severity::Error, span(1, 1, 1, 2));
        let text = render_plain(dir.path(), &[f], 3);
        assert_eq!(
            text,
            "gone.py:1:1: error[django/n-plus-one-fk] 'b.author' is loaded once per row\n\n\
             Found 1 finding (1 error, 0 warnings, 0 notes) in 3 files.\n"
        );
    }

    #[test]
    fn no_findings() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(render_plain(dir.path(), &[], 2), "No findings in 2 files.\n");
        assert_eq!(render_plain(dir.path(), &[], 1), "No findings in 1 file.\n");
    }

    #[test]
    fn unicode_columns_and_multiline_spans() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.js"), "const é = eval(x +\n  y);\n").unwrap();
        let f = finding("a.js", Severity::Note, span(1, 11, 2, 5));
        let text = render_plain(dir.path(), &[f], 1);
        assert!(text.contains("1 | const é = eval(x +\n"), "{text}");
        assert!(text.contains("  |           ^^^^^^^^\n"), "{text}");
    }
}
