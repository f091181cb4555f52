//! `--format github`: GitHub Actions workflow commands, one annotation per
//! finding (`::error file=...,line=...::message`).

use super::Report;
use crate::finding::Severity;
use std::io::{self, Write};

/// Escapes data per the workflow-command rules.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    for f in r.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut msg = f.message.clone();
        if let Some(fix) = &f.fix {
            msg.push_str(&format!("\nFix: {}", fix.description));
        }
        writeln!(
            out,
            "::{level} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            escape_property(&f.path),
            f.span.start_line,
            f.span.end_line,
            f.span.start_column,
            f.span.end_column,
            escape_property(&format!("stackfit {}", f.rule_id)),
            escape_data(&msg)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_data() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
