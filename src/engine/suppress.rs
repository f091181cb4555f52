//! Inline suppressions: `stackfit: ignore[rule-id, ...]` (or bare
//! `stackfit: ignore`) in a comment on the finding's line or the line above,
//! and `stackfit: ignore-file[rule-id]` in the first 10 lines.

use crate::engine::rule::id_matches;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directive {
    /// 1-based line of the comment.
    pub line: u32,
    /// Rule ids or prefixes; empty means every rule.
    pub ids: Vec<String>,
    pub file_wide: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Suppressions {
    pub directives: Vec<Directive>,
}

const MARKER: &str = "stackfit:";

impl Suppressions {
    /// Scans comment text for directives. A directive counts only after a
    /// comment opener (`#`, `//`, `/*`, `*`) on its line.
    pub fn parse(text: &str) -> Suppressions {
        Self::parse_in(text, None)
    }

    /// Like `parse`, but with the byte ranges of the file's comments (from
    /// the syntax tree) a marker counts only inside one of them, so a string
    /// literal that mentions `stackfit: ignore` suppresses nothing.
    pub fn parse_in(text: &str, comments: Option<&[(usize, usize)]>) -> Suppressions {
        let mut directives = Vec::new();
        if !text.contains(MARKER) {
            return Suppressions { directives };
        }
        let mut offset = 0;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            let line_start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            let Some(pos) = line.find(MARKER) else { continue };
            let before = &line[..pos];
            if !(before.contains('#')
                || before.contains("//")
                || before.contains("/*")
                || before.trim_start().starts_with('*'))
            {
                continue;
            }
            if let Some(ranges) = comments {
                let at = line_start + pos;
                if !ranges.iter().any(|&(s, e)| s <= at && at < e) {
                    continue;
                }
            }
            let rest = line[pos + MARKER.len()..].trim_start();
            let (file_wide, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
                (true, r)
            } else if let Some(r) = rest.strip_prefix("ignore") {
                (false, r)
            } else {
                continue;
            };
            let ids = if let Some(r) = rest.strip_prefix('[') {
                let inner = r.split(']').next().unwrap_or("");
                inner.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
            } else if rest.is_empty() || rest.starts_with(char::is_whitespace) || rest.starts_with("*/") {
                Vec::new()
            } else {
                continue;
            };
            let line_no = i as u32 + 1;
            if file_wide && line_no > 10 {
                continue;
            }
            directives.push(Directive { line: line_no, ids, file_wide });
        }
        Suppressions { directives }
    }

    /// The index of the directive that suppresses `rule_id` at `line`.
    pub fn find(&self, rule_id: &str, line: u32) -> Option<usize> {
        self.directives.iter().position(|d| {
            let applies = d.file_wide || d.line == line || d.line + 1 == line;
            applies && (d.ids.is_empty() || d.ids.iter().any(|p| id_matches(p, rule_id)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_line_and_file_directives() {
        let s = Suppressions::parse(
            "# stackfit: ignore-file[python/eval]\nx = 1  # stackfit: ignore[django/, node/eval]\n// stackfit: ignore\nmsg = 'stackfit: ignore'\n",
        );
        assert_eq!(s.directives.len(), 3);
        assert!(s.find("python/eval", 40).is_some());
        assert!(s.find("django/debug-enabled", 2).is_some());
        assert!(s.find("django/debug-enabled", 3).is_some());
        assert!(s.find("express/missing-helmet", 4).is_some());
        assert!(s.find("express/missing-helmet", 6).is_none());
        assert!(s.find("djangox/a", 2).is_none());
    }

    #[test]
    fn markers_outside_comments_do_not_count_when_comments_are_known() {
        let text = "eval(x, '# stackfit: ignore')\neval(y)  # stackfit: ignore\n";
        let comment_start = text.rfind('#').unwrap();
        let s = Suppressions::parse_in(text, Some(&[(comment_start, text.len() - 1)]));
        assert_eq!(s.directives.len(), 1);
        assert_eq!(s.directives[0].line, 2);
    }
}
