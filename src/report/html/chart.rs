//! Inline SVG charts: horizontal stacked bars, a donut and a 100% stacked
//! bar. Colours come from CSS classes (`s-error`, `w3`, ...) so the page's
//! stylesheet (and its dark mode) decides them; every label is escaped.
//!
//! A bar or slice that has a filter is wrapped in an `<a>` carrying
//! `data-fk`/`data-fv`: the page script turns a click into that filter on
//! the findings list; without scripting the link just jumps to `href`.

use super::markup::{esc, thousands, Esc};
use std::f64::consts::PI;
use std::fmt::Write;

/// Width of every chart's coordinate system; the SVG scales to its box.
const W: f64 = 600.0;
const ROW: f64 = 26.0;
const BAR: f64 = 16.0;
/// Rough width of a 12px label character, for truncation.
const CHAR_W: f64 = 6.6;

/// Where a chart element leads: an anchor and, with scripting, a filter.
pub struct Target {
    pub href: String,
    pub filter: Option<(&'static str, String)>,
}

pub struct Bar<'a> {
    pub label: &'a str,
    /// Segment values, in the order of the chart's series.
    pub values: Vec<u64>,
    pub target: Target,
}

/// A series of a stacked bar chart: its CSS class and its name in tooltips
/// (singular, plural).
pub struct Series {
    pub class: &'static str,
    pub one: &'static str,
    pub many: &'static str,
}

/// How to shorten a label that does not fit.
#[derive(Clone, Copy)]
pub enum Cut {
    /// Keep the end (file paths).
    Start,
    /// Keep the start (rule ids, names).
    End,
}

fn open_target(out: &mut String, t: &Target) {
    let _ = write!(out, "<a href=\"{}\"", Esc(&t.href));
    if let Some((k, v)) = &t.filter {
        let _ = write!(out, " data-fk=\"{k}\" data-fv=\"{}\"", Esc(v));
    }
    out.push('>');
}

fn shorten(label: &str, max: usize, cut: Cut) -> String {
    let n = label.chars().count();
    if n <= max || max < 2 {
        return label.to_string();
    }
    match cut {
        Cut::Start => {
            let tail: String = label.chars().skip(n - (max - 1)).collect();
            format!("…{tail}")
        }
        Cut::End => {
            let head: String = label.chars().take(max - 1).collect();
            format!("{head}…")
        }
    }
}

fn tooltip(label: &str, values: &[u64], series: &[Series]) -> String {
    let total: u64 = values.iter().sum();
    let parts: Vec<String> = values
        .iter()
        .zip(series)
        .filter(|(v, _)| **v > 0)
        .map(|(v, s)| format!("{} {}", thousands(*v), if *v == 1 { s.one } else { s.many }))
        .collect();
    if parts.len() > 1 {
        format!("{label}: {} ({})", thousands(total), parts.join(", "))
    } else if parts.len() == 1 {
        format!("{label}: {}", parts[0])
    } else {
        format!("{label}: none")
    }
}

/// Horizontal bars, one row per `bars` entry, each stacked from `series`.
/// `label_w` is the width of the label column in chart units.
pub fn bars(out: &mut String, aria: &str, bars: &[Bar], series: &[Series], label_w: f64, cut: Cut) {
    let count_w = 56.0;
    let plot_w = W - label_w - count_w;
    let max = bars.iter().map(|b| b.values.iter().sum::<u64>()).max().unwrap_or(0).max(1) as f64;
    let h = ROW * bars.len() as f64;
    let _ = write!(out, "<svg class=\"chart bars\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"{}\">", Esc(aria));
    let max_chars = ((label_w - 12.0) / CHAR_W) as usize;
    for (i, b) in bars.iter().enumerate() {
        let y = ROW * i as f64;
        let mid = y + ROW / 2.0;
        let total: u64 = b.values.iter().sum();
        open_target(out, &b.target);
        out.push_str("<title>");
        esc(out, &tooltip(b.label, &b.values, series));
        out.push_str("</title>");
        let _ = write!(
            out,
            "<rect class=\"row\" x=\"0\" y=\"{y}\" width=\"{W}\" height=\"{ROW}\"/>\
             <text class=\"lbl\" x=\"{}\" y=\"{mid}\" text-anchor=\"end\" dominant-baseline=\"central\">",
            label_w - 10.0
        );
        esc(out, &shorten(b.label, max_chars, cut));
        let by = y + (ROW - BAR) / 2.0;
        let _ = write!(
            out,
            "</text><rect class=\"track\" x=\"{label_w}\" y=\"{by}\" width=\"{plot_w}\" height=\"{BAR}\" rx=\"3\"/>"
        );
        let mut x = label_w;
        for (v, s) in b.values.iter().zip(series) {
            if *v == 0 {
                continue;
            }
            let w = (*v as f64 / max * plot_w).max(1.5);
            let _ =
                write!(out, "<rect class=\"{}\" x=\"{x:.1}\" y=\"{by}\" width=\"{w:.1}\" height=\"{BAR}\"/>", s.class);
            x += w;
        }
        let _ = write!(
            out,
            "<text class=\"num\" x=\"{:.1}\" y=\"{mid}\" dominant-baseline=\"central\">{}</text></a>",
            x + 6.0,
            thousands(total)
        );
    }
    out.push_str("</svg>");
}

/// A slice of a donut.
pub struct Slice<'a> {
    pub name: &'a str,
    pub class: &'a str,
    pub value: u64,
    pub target: Target,
}

/// A donut with the total in the middle and a legend beside it.
pub fn donut(out: &mut String, aria: &str, slices: &[Slice], center: &str) {
    let (cx, cy, r, sw) = (90.0, 90.0, 64.0, 26.0);
    let c = 2.0 * PI * r;
    let total: u64 = slices.iter().map(|s| s.value).sum();
    let _ =
        write!(out, "<svg class=\"chart donut\" viewBox=\"0 0 {W} 180\" role=\"img\" aria-label=\"{}\">", Esc(aria));
    let _ = write!(
        out,
        "<circle class=\"track-ring\" cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"none\" stroke-width=\"{sw}\"/>"
    );
    let mut offset = 0.0;
    for s in slices.iter().filter(|s| s.value > 0) {
        let len = s.value as f64 / total as f64 * c;
        open_target(out, &s.target);
        let _ = write!(
            out,
            "<title>{}: {}</title><circle class=\"{}\" cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"none\" \
             stroke-width=\"{sw}\" stroke-dasharray=\"{len:.2} {:.2}\" stroke-dashoffset=\"{:.2}\" \
             transform=\"rotate(-90 {cx} {cy})\"/></a>",
            Esc(s.name),
            thousands(s.value),
            s.class,
            c - len,
            -offset
        );
        offset += len;
    }
    let _ = write!(
        out,
        "<text class=\"big\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>\
         <text class=\"cap\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>",
        cy - 8.0,
        thousands(total),
        cy + 14.0,
        Esc(center)
    );
    for (i, s) in slices.iter().enumerate() {
        let y = 46.0 + 30.0 * i as f64;
        let pct = if total == 0 { 0.0 } else { s.value as f64 * 100.0 / total as f64 };
        open_target(out, &s.target);
        let _ = write!(
            out,
            "<rect class=\"{}\" x=\"210\" y=\"{}\" width=\"14\" height=\"14\" rx=\"3\"/>\
             <text class=\"lbl\" x=\"234\" y=\"{y}\" dominant-baseline=\"central\">{}</text>\
             <text class=\"num strong\" x=\"360\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"central\">{}</text>\
             <text class=\"num\" x=\"372\" y=\"{y}\" dominant-baseline=\"central\">{pct:.0}%</text></a>",
            s.class,
            y - 7.0,
            Esc(s.name),
            thousands(s.value),
        );
    }
    out.push_str("</svg>");
}

/// One bar split into the shares of `parts` (label, value), coloured
/// `w0`..`w9` in order, followed by an HTML legend with the values as
/// given (`shown`) and their percentage.
pub fn shares(out: &mut String, aria: &str, parts: &[(String, f64, String)]) {
    let total: f64 = parts.iter().map(|p| p.1).filter(|v| *v > 0.0).sum();
    let _ = write!(
        out,
        "<svg class=\"chart shares\" viewBox=\"0 0 {W} 28\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
        Esc(aria)
    );
    let mut x = 0.0;
    if total > 0.0 {
        for (i, (label, v, shown)) in parts.iter().enumerate() {
            if *v <= 0.0 {
                continue;
            }
            let w = v / total * W;
            let _ = write!(
                out,
                "<rect class=\"w{}\" x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"28\"><title>{}: {} ({:.0}%)</title></rect>",
                i % 10,
                Esc(label),
                Esc(shown),
                v / total * 100.0
            );
            x += w;
        }
    } else {
        let _ = write!(out, "<rect class=\"track\" x=\"0\" y=\"0\" width=\"{W}\" height=\"28\"/>");
    }
    out.push_str("</svg><ul class=\"legend\">");
    for (i, (label, v, shown)) in parts.iter().enumerate() {
        let pct = if total > 0.0 && *v > 0.0 { v / total * 100.0 } else { 0.0 };
        let _ = write!(
            out,
            "<li><svg class=\"swatch\" viewBox=\"0 0 10 10\" aria-hidden=\"true\"><rect class=\"w{}\" width=\"10\" height=\"10\" rx=\"2\"/></svg>\
             <span class=\"k\">{}</span> <span class=\"v\">{}</span> <span class=\"pct\">{pct:.0}%</span></li>",
            i % 10,
            Esc(label),
            Esc(shown)
        );
    }
    out.push_str("</ul>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_shortened_and_escaped() {
        assert_eq!(shorten("src/routes/very/long/path.js", 12, Cut::Start), "…ong/path.js");
        assert_eq!(shorten("django/n-plus-one-related", 10, Cut::End), "django/n-…");
        assert_eq!(shorten("short", 10, Cut::End), "short");
        let mut out = String::new();
        let series = [Series { class: "s-error", one: "error", many: "errors" }];
        let bar = Bar {
            label: "<img src=x>",
            values: vec![3],
            target: Target { href: "#x".into(), filter: Some(("path", "\"><b>".into())) },
        };
        bars(&mut out, "a\"b", &[bar], &series, 200.0, Cut::Start);
        assert!(out.contains("&lt;img src=x&gt;: 3 errors"), "{out}");
        assert!(out.contains("data-fv=\"&quot;&gt;&lt;b&gt;\""), "{out}");
        assert!(out.contains("aria-label=\"a&quot;b\""), "{out}");
        assert!(!out.contains("<img") && !out.contains("<b>"));
    }

    #[test]
    fn donut_and_shares_handle_zero_totals() {
        let mut out = String::new();
        let t = || Target { href: "#f".into(), filter: None };
        donut(&mut out, "x", &[Slice { name: "error", class: "s-error", value: 0, target: t() }], "findings");
        assert!(out.contains(">0</text>"));
        let mut out = String::new();
        shares(&mut out, "mix", &[("routes".into(), 0.0, "0".into())]);
        assert!(out.contains("class=\"track\""));
    }
}
