//! `--format text`: compact diagnostics with a code snippet and the fix.

use super::{Report, SourceCache};
use std::io::{self, Write};

pub fn render(r: &Report, out: &mut dyn Write, _color: bool) -> io::Result<()> {
    let mut cache = SourceCache::new(r.root);
    for f in r.findings {
        writeln!(out, "{}:{}:{}: {} [{}] {}", f.path, f.span.start_line, f.span.start_column, f.severity, f.rule_id, f.message)?;
        if let Some(line) = cache.line(&f.path, f.span.start_line) {
            writeln!(out, "  | {line}")?;
        }
    }
    writeln!(out, "{} finding(s) in {} file(s)", r.findings.len(), r.summary.files)
}
