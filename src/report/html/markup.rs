//! Escaping and the little markup the HTML report needs: every piece of text
//! that reaches the page (file contents, paths, messages, rule docs, the
//! profile) goes through [`esc`] or [`Esc`]; attributes are always quoted
//! with `"`, so one escaping function serves text and attribute values.

use std::fmt;

/// Appends `s` to `out` with `& < > " '` replaced by character references.
pub fn esc(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// `format!("{}", Esc(s))` escapes `s` like [`esc`].
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(self.0.len() + 8);
        esc(&mut s, self.0);
        f.write_str(&s)
    }
}

/// Text with `` `code` `` spans turned into `<code>`; everything escaped.
pub fn inline(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else { break };
        esc(out, &rest[..open]);
        out.push_str("<code>");
        esc(out, &rest[open + 1..open + 1 + len]);
        out.push_str("</code>");
        rest = &rest[open + 2 + len..];
    }
    esc(out, rest);
}

/// The small subset of Markdown rule docs use: paragraphs separated by
/// blank lines, `- ` lists, blocks indented by four spaces or fenced with
/// ``` as code, and inline `code`.
pub fn markdown(out: &mut String, text: &str) {
    let lines: Vec<&str> = text.trim_matches('\n').lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            i += 1;
        } else if line.trim_start().starts_with("```") {
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            i += 1;
            code_block(out, &code.join("\n"));
        } else if line.starts_with("    ") || line.starts_with('\t') {
            let mut code = Vec::new();
            while i < lines.len() && (lines[i].starts_with("    ") || lines[i].starts_with('\t') || lines[i].is_empty())
            {
                code.push(lines[i].strip_prefix("    ").or_else(|| lines[i].strip_prefix('\t')).unwrap_or(""));
                i += 1;
            }
            while code.last().is_some_and(|l| l.trim().is_empty()) {
                code.pop();
            }
            code_block(out, &code.join("\n"));
        } else if is_item(line) {
            out.push_str("<ul>");
            while i < lines.len() && is_item(lines[i]) {
                let mut item = lines[i].trim_start()[2..].to_string();
                i += 1;
                // Continuation lines of a wrapped item.
                while i < lines.len() && lines[i].starts_with("  ") && !is_item(lines[i]) {
                    item.push(' ');
                    item.push_str(lines[i].trim());
                    i += 1;
                }
                out.push_str("<li>");
                inline(out, &item);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        } else {
            let mut para = Vec::new();
            while i < lines.len()
                && !lines[i].trim().is_empty()
                && !is_item(lines[i])
                && !lines[i].starts_with("    ")
                && !lines[i].trim_start().starts_with("```")
            {
                para.push(lines[i].trim());
                i += 1;
            }
            out.push_str("<p>");
            inline(out, &para.join(" "));
            out.push_str("</p>");
        }
    }
}

fn is_item(line: &str) -> bool {
    let t = line.trim_start();
    (t.starts_with("- ") || t.starts_with("* ")) && line.len() - t.len() < 2
}

pub fn code_block(out: &mut String, code: &str) {
    out.push_str("<pre class=\"doc-code\"><code>");
    esc(out, code);
    out.push_str("</code></pre>");
}

/// A link to external documentation when `url` is a plain http(s) URL;
/// otherwise the text alone. Never a `javascript:` or `data:` link.
pub fn link(out: &mut String, url: &str) {
    let safe = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if safe {
        out.push_str("<a href=\"");
        esc(out, url);
        out.push_str("\" rel=\"noreferrer noopener\" target=\"_blank\">");
        esc(out, url);
        out.push_str("</a>");
    } else {
        esc(out, url);
    }
}

/// A fragment identifier made of `[a-z0-9-]` only.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// `12345` → `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `18854` → `18.4 KB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `651` → `0.65 s`; `75_300` → `1 min 15 s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{:.2} s", ms as f64 / 1000.0)
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// `n one` / `n many`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n as u64), if n == 1 { one } else { many })
}

/// A UTC timestamp, `2026-05-01 14:03:07 UTC`.
pub fn utc(t: std::time::SystemTime) -> String {
    let secs = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn s(f: impl Fn(&mut String)) -> String {
        let mut out = String::new();
        f(&mut out);
        out
    }

    #[test]
    fn escapes_markup_characters() {
        assert_eq!(
            s(|o| esc(o, r#"<script>"x" & 'y'</script>"#)),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(Esc("a<b").to_string(), "a&lt;b");
        assert_eq!(s(|o| esc(o, "héllo")), "héllo");
    }

    #[test]
    fn inline_code_spans() {
        assert_eq!(s(|o| inline(o, "use `a<b` or `c`")), "use <code>a&lt;b</code> or <code>c</code>");
        assert_eq!(s(|o| inline(o, "a ` b")), "a ` b");
    }

    #[test]
    fn markdown_blocks() {
        let html = s(|o| markdown(o, "Parse data:\n`json`.\n\n    OPS = {}\n    x = 1\n\n- one\n- two\n"));
        assert_eq!(
            html,
            "<p>Parse data: <code>json</code>.</p><pre class=\"doc-code\"><code>OPS = {}\nx = 1</code></pre>\
             <ul><li>one</li><li>two</li></ul>"
        );
    }

    #[test]
    fn only_http_links() {
        assert!(
            s(|o| link(o, "https://example.com/a?b=1&c")).starts_with("<a href=\"https://example.com/a?b=1&amp;c\"")
        );
        assert_eq!(s(|o| link(o, "javascript:alert(1)")), "javascript:alert(1)");
        assert_eq!(s(|o| link(o, "https://x\" onmouseover=\"y")), "https://x&quot; onmouseover=&quot;y");
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(18_854), "18.4 KB");
        assert_eq!(bytes(12), "12 B");
        assert_eq!(duration(651), "0.65 s");
        assert_eq!(duration(75_300), "1 min 15 s");
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(UNIX_EPOCH + Duration::from_secs(1_709_210_096)), "2024-02-29 12:34:56 UTC");
        assert_eq!(slug("node/n-plus-one_query"), "node-n-plus-one-query");
    }
}
