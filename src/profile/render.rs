//! The profile as `stackfit fit` prints it: per application its stack and
//! version, how it is served, its workload mix, the libraries and signals
//! behind it with locations, and its fit findings.

use super::{Application, Profile};
use crate::finding::Finding;
use std::io::{self, Write};
use std::path::Path;

pub fn render(profile: &Profile, findings: &[Finding], root: &Path, out: &mut dyn Write) -> io::Result<()> {
    let n = profile.applications.len();
    writeln!(
        out,
        "fit profile of {}: {} application{}{}",
        root.display(),
        n,
        if n == 1 { "" } else { "s" },
        if profile.hybrid {
            " (hybrid: a Node.js part and a Python part, each judged in its own role, G7)"
        } else {
            ""
        }
    )?;
    if n == 0 {
        writeln!(
            out,
            "\nNo application found: stackfit looks for a package.json with a server framework dependency, \
             a Django manage.py, settings, wsgi.py or asgi.py, or a Python manifest naming FastAPI or Flask."
        )?;
    }
    let mut by_app: Vec<Vec<&Finding>> = vec![Vec::new(); n];
    let mut other: Vec<&Finding> = Vec::new();
    for f in findings.iter().filter(|f| f.rule_id.starts_with("fit/")) {
        match profile.app_of_path(&f.path) {
            Some(i) => by_app[i].push(f),
            None => other.push(f),
        }
    }
    for (app, fs) in profile.applications.iter().zip(&by_app) {
        writeln!(out)?;
        application(app, fs, out)?;
    }
    if !other.is_empty() {
        writeln!(out, "\nother fit findings")?;
        for f in other {
            finding(f, out)?;
        }
    }
    if profile.unattributed_files > 0 {
        writeln!(out, "\n{} source file(s) belong to no application.", profile.unattributed_files)?;
    }
    for c in &profile.unattributed_commands {
        writeln!(
            out,
            "start command not matched to an application: {}:{} {} `{}`",
            c.path, c.line, c.origin, c.command
        )?;
    }
    for w in &profile.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

fn application(app: &Application, findings: &[&Finding], out: &mut dyn Write) -> io::Result<()> {
    let root = if app.root == "." { "./".to_string() } else { format!("{}/", app.root) };
    writeln!(out, "{}  ({root}, {} source files)", app.name, app.files)?;
    let version = match (&app.framework_version, &app.version_source) {
        (Some(v), Some(src)) if app.version_pinned => format!(" {v} ({src})"),
        (Some(v), Some(src)) => format!(" ≥{v} ({src})"),
        (Some(v), None) => format!(" {v}"),
        _ => " (version unknown)".into(),
    };
    let runtime = app.runtime.as_ref().map(|r| format!(" · {r}")).unwrap_or_default();
    writeln!(out, "  stack      {} · {}{version}{runtime}", app.stack.label(), app.framework)?;
    let permission = match app.serving.node_permission {
        Some(true) => " · permission model: on",
        Some(false) => " · permission model: off",
        None => "",
    };
    writeln!(out, "  served by  {}: {}{permission}", app.serving.model, app.serving.evidence)?;
    if app.workload.is_empty() {
        writeln!(out, "  workload   no workload signals found")?;
    } else {
        let mix: Vec<String> = app.workload.iter().map(|s| format!("{} {}%", s.label, s.percent)).collect();
        writeln!(out, "  workload   {}", mix.join(" · "))?;
    }
    if !app.libraries.is_empty() {
        let libs: Vec<String> = app.libraries.iter().map(|(k, v)| format!("{k}: {}", v.join(", "))).collect();
        writeln!(out, "  libraries  {}", libs.join(" · "))?;
    }
    for (i, s) in app.signals.iter().take(8).enumerate() {
        let head = if i == 0 { "  signals  " } else { "           " };
        let examples: Vec<String> =
            s.examples.iter().take(3).map(|e| format!("{}:{} ({})", e.path, e.line, e.detail)).collect();
        let more = if s.count > 3 { format!(" +{} more", s.count - 3) } else { String::new() };
        writeln!(out, "{head} {:>4} {:<34} {}{more}", s.count, s.label, examples.join(", "))?;
    }
    if app.signals.len() > 8 {
        writeln!(out, "            ({} more kinds of signal in --format json)", app.signals.len() - 8)?;
    }
    if findings.is_empty() {
        writeln!(out, "  fit        no fit findings")?;
    } else {
        writeln!(out, "  fit")?;
        for f in findings {
            finding(f, out)?;
        }
    }
    Ok(())
}

fn finding(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "    {:<7}  {}  {}:{}", f.severity.as_str(), f.rule_id, f.path, f.span.start_line)?;
    writeln!(out, "             {}", f.message)?;
    for r in f.related.iter().take(5) {
        let msg = r.message.as_deref().unwrap_or("");
        writeln!(out, "               - {}:{} {msg}", r.path, r.span.start_line)?;
    }
    Ok(())
}
