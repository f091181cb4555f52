//! The fit profile, rendered from its JSON without assuming more than it
//! must: `{ "applications": [ ... ] }`, where an application may carry a
//! `name`, a `stack`, a `version`, a `workload` (signal → count or share, or
//! a list of `{signal, count}`) and `findings`. Whatever else it holds is
//! shown as a key/value list; a shape that is not understood is shown as
//! JSON. Nothing here can fail.

use super::chart;
use super::markup::{esc, inline, thousands, Esc};
use serde_json::Value;
use std::fmt::Write;

/// Longest JSON text shown for one value.
const MAX_JSON: usize = 400;
/// Keys whose value is drawn as the workload chart (the first that parses).
const WORKLOAD_KEYS: &[&str] = &["workload", "workload_mix", "workloadMix", "mix", "signals"];
const TITLE_KEYS: &[&str] = &["name", "id", "app", "path", "root"];
const STACK_KEYS: &[&str] = &["stack", "framework", "kind"];

/// The applications of the profile (empty when there are none or the
/// profile has another shape).
pub fn applications(profile: &Value) -> &[Value] {
    profile.get("applications").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// The profile section's content.
pub fn render(out: &mut String, profile: &Value) {
    let apps = applications(profile);
    if apps.is_empty() {
        out.push_str(
            "<p class=\"empty\">No application profile: this run of stackfit did not detect or profile any \
             application (stack, version and workload mix appear here when it does).</p>",
        );
        let other = match profile {
            Value::Object(m) => m.iter().any(|(k, v)| k != "applications" && !v.is_null()),
            Value::Null => false,
            _ => true,
        };
        if other {
            out.push_str("<details class=\"raw\"><summary>Profile data</summary>");
            raw(out, profile);
            out.push_str("</details>");
        }
        return;
    }
    out.push_str("<div class=\"apps\">");
    for (i, app) in apps.iter().enumerate() {
        application(out, app, i);
    }
    out.push_str("</div>");
}

fn application(out: &mut String, app: &Value, i: usize) {
    out.push_str("<article class=\"app card\">");
    let Value::Object(map) = app else {
        let _ = write!(out, "<h3>Application {}</h3>", i + 1);
        raw(out, app);
        out.push_str("</article>");
        return;
    };
    let title_key = TITLE_KEYS.iter().copied().find(|k| map.get(*k).is_some_and(|v| !scalar(v).is_empty()));
    let title = title_key.map(|k| scalar(&map[k])).unwrap_or_else(|| format!("Application {}", i + 1));
    let _ = write!(out, "<h3>{}</h3>", Esc(&title));

    let mut used: Vec<&str> = title_key.into_iter().collect();
    let stack_key = STACK_KEYS.iter().copied().find(|k| map.contains_key(*k));
    let mut tags = Vec::new();
    if let Some(k) = stack_key {
        used.push(k);
        tags.push(scalar(&map[k]));
    }
    if let Some(v) = map.get("version") {
        used.push("version");
        tags.push(scalar(v));
    }
    tags.retain(|t| !t.is_empty());
    if !tags.is_empty() {
        out.push_str("<p class=\"stack\">");
        for t in &tags {
            let _ = write!(out, "<span class=\"tag\">{}</span> ", Esc(t));
        }
        out.push_str("</p>");
    }

    for key in WORKLOAD_KEYS {
        let Some(v) = map.get(*key) else { continue };
        let parts = workload(v);
        if parts.is_empty() {
            continue;
        }
        used.push(key);
        out.push_str("<h4>Workload mix</h4>");
        chart::shares(out, &format!("workload mix of {title}"), &parts);
        break;
    }

    if let Some(f) = map.get("findings") {
        used.push("findings");
        out.push_str("<h4>Findings</h4>");
        findings(out, f);
    }

    let rest: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| !used.contains(&k.as_str())).collect();
    if !rest.is_empty() {
        out.push_str("<dl class=\"kv\">");
        for (k, v) in rest {
            let _ = write!(out, "<dt>{}</dt><dd>", Esc(k));
            value(out, v);
            out.push_str("</dd>");
        }
        out.push_str("</dl>");
    }
    out.push_str("</article>");
}

/// The workload as (signal, value, value as shown), largest first.
fn workload(v: &Value) -> Vec<(String, f64, String)> {
    let mut parts: Vec<(String, f64)> = Vec::new();
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if let Some(n) = number(v) {
                    parts.push((k.clone(), n));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) => {
                        let label = ["signal", "name", "kind", "id", "label"]
                            .iter()
                            .find_map(|k| m.get(*k).and_then(Value::as_str));
                        if let (Some(label), Some(n)) = (label, number(item)) {
                            parts.push((label.to_string(), n));
                        }
                    }
                    Value::Array(pair) if pair.len() == 2 => {
                        if let (Some(label), Some(n)) = (pair[0].as_str(), pair[1].as_f64()) {
                            parts.push((label.to_string(), n));
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    parts.retain(|(_, n)| n.is_finite() && *n >= 0.0);
    if parts.iter().all(|(_, n)| *n == 0.0) {
        return Vec::new();
    }
    parts.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let is_share = parts.iter().all(|(_, n)| *n <= 1.0) && parts.iter().map(|p| p.1).sum::<f64>() <= 1.0001;
    parts
        .into_iter()
        .map(|(k, n)| {
            let shown = if is_share {
                String::new()
            } else if n.fract() == 0.0 && n < 1e15 {
                thousands(n as u64)
            } else {
                format!("{n:.2}")
            };
            (k, n, shown)
        })
        .collect()
}

/// A number, or the `count`/`share`/`value` of an object.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Object(m) => {
            ["count", "share", "value", "n", "total"].iter().find_map(|k| m.get(*k).and_then(Value::as_f64))
        }
        _ => None,
    }
}

fn findings(out: &mut String, v: &Value) {
    match v {
        Value::Array(items) if items.is_empty() => out.push_str("<p class=\"muted\">None.</p>"),
        Value::Array(items) => {
            out.push_str("<ul class=\"app-findings\">");
            for item in items {
                out.push_str("<li>");
                match item {
                    Value::Object(m) => {
                        let rule = ["rule_id", "rule", "id"].iter().find_map(|k| m.get(*k).and_then(Value::as_str));
                        let msg =
                            ["message", "summary", "title"].iter().find_map(|k| m.get(*k).and_then(Value::as_str));
                        if rule.is_none() && msg.is_none() {
                            value(out, item);
                        } else {
                            if let Some(r) = rule {
                                let _ = write!(out, "<code>{}</code> ", Esc(r));
                            }
                            if let Some(m) = msg {
                                inline(out, m);
                            }
                            if let Some(p) = m.get("path").and_then(Value::as_str) {
                                let line = m.get("start_line").or_else(|| m.get("line")).and_then(Value::as_u64);
                                out.push_str(" <span class=\"muted\">");
                                esc(out, p);
                                if let Some(l) = line {
                                    let _ = write!(out, ":{l}");
                                }
                                out.push_str("</span>");
                            }
                        }
                    }
                    other => value(out, other),
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        other => {
            out.push_str("<p>");
            value(out, other);
            out.push_str("</p>");
        }
    }
}

/// A value in one line: scalars as text, lists of scalars joined, the rest
/// as (shortened) JSON.
fn value(out: &mut String, v: &Value) {
    match v {
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let texts: Vec<String> = items.iter().map(scalar).collect();
            esc(out, &texts.join(", "));
        }
        Value::Array(_) | Value::Object(_) => {
            out.push_str("<code class=\"json\">");
            esc(out, &shorten_json(v));
            out.push_str("</code>");
        }
        _ => esc(out, &scalar(v)),
    }
}

/// Scalars as text; other values as shortened JSON.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => shorten_json(v),
    }
}

fn shorten_json(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= MAX_JSON {
        s
    } else {
        let head: String = s.chars().take(MAX_JSON).collect();
        format!("{head}…")
    }
}

fn raw(out: &mut String, v: &Value) {
    out.push_str("<pre class=\"doc-code\"><code>");
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    let text: String = text.chars().take(20_000).collect();
    esc(out, &text);
    out.push_str("</code></pre>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn html(v: Value) -> String {
        let mut out = String::new();
        render(&mut out, &v);
        out
    }

    #[test]
    fn empty_and_odd_profiles_do_not_fail() {
        for v in [
            json!({"applications": []}),
            json!({}),
            Value::Null,
            json!([1, 2]),
            json!("x"),
            json!({"applications": "nope"}),
            json!({"applications": [1, null, [], {"workload": "x", "findings": 3}]}),
            json!({"applications": [{"workload": {"a": -1, "b": "NaN", "c": {"count": "x"}}}]}),
        ] {
            let out = html(v.clone());
            assert!(!out.is_empty(), "{v}");
        }
        assert!(html(json!({"applications": []})).contains("No application profile"));
        assert!(html(json!({"applications": [], "error": "x"})).contains("Profile data"));
    }

    #[test]
    fn application_with_workload_and_findings() {
        let out = html(json!({"applications": [{
            "name": "api <gateway>",
            "stack": "express",
            "version": "4.19.2",
            "path": "services/api",
            "workload": {"routes": 12, "websocket": {"count": 3}, "ml": 0},
            "findings": [{"rule_id": "fit/node-cpu-bound", "message": "`sharp` in a handler", "path": "a.js", "line": 3}, "fit/profile"],
            "serving": {"server": "node", "workers": 1}
        }]}));
        assert!(out.contains("<h3>api &lt;gateway&gt;</h3>"), "{out}");
        assert!(out.contains("<span class=\"tag\">express</span>"));
        assert!(out.contains("<span class=\"tag\">4.19.2</span>"));
        assert!(out.contains("class=\"chart shares\""));
        assert!(
            out.contains("<span class=\"k\">routes</span> <span class=\"v\">12</span> <span class=\"pct\">80%</span>")
        );
        assert!(out.contains("<code>fit/node-cpu-bound</code> <code>sharp</code> in a handler"));
        assert!(out.contains("<dt>path</dt><dd>services/api</dd>"), "{out}");
        assert!(out.contains("<dt>serving</dt><dd><code class=\"json\">{&quot;server&quot;"));
    }

    #[test]
    fn workload_shapes() {
        let w = workload(&json!([{"signal": "routes", "share": 0.25}, {"signal": "admin", "share": 0.75}]));
        assert_eq!(w, vec![("admin".to_string(), 0.75, String::new()), ("routes".to_string(), 0.25, String::new())]);
        let w = workload(&json!([["jobs", 2], ["views", 5]]));
        assert_eq!(w[0], ("views".to_string(), 5.0, "5".to_string()));
        assert!(workload(&json!({"a": 0})).is_empty());
    }
}
