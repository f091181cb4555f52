//! The command line: `check` (default), `rules`, `explain`, `fit`,
//! `test-rules`. Exit codes: 0 clean, 1 findings at or above `--fail-on`,
//! 2 usage, config or I/O error.

use crate::config::FailOn;
use crate::engine::rule::{RuleKind, RuleMeta};
use crate::engine::Engine;
use crate::finding::Finding;
use crate::report::{self, Format, Report, RunSummary};
use crate::scan::{self, ScanOptions, ScanResult};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "stackfit", version, about = "Risk and fit linter for Node.js and Django codebases")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan paths and report findings (the default command).
    Check(Box<CheckArgs>),
    /// List every rule: id, severity, category, summary.
    Rules,
    /// Print a rule's full documentation.
    Explain { rule: String },
    /// Print only the fit profile and fit findings.
    Fit {
        path: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Run the valid/invalid examples embedded in rule files.
    TestRules { dir: Option<PathBuf> },
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Files or directories to scan (default: .).
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rule ids or prefixes to enable (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub select: Option<Vec<String>>,
    /// Rule ids or prefixes to disable (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub ignore: Vec<String>,
    /// Hide findings below this confidence (default medium; `low` shows
    /// findings about values stackfit cannot tell are request data).
    #[arg(long, value_parser = ["high", "medium", "low"], value_name = "LEVEL")]
    pub min_confidence: Option<String>,
    /// Lowest severity that makes the run fail.
    #[arg(long, value_parser = ["error", "warning", "note", "never"])]
    pub fail_on: Option<String>,
    /// Hide findings recorded in FILE.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record all current findings to FILE and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Use this config file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Ignore and do not write the result cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Also scan node_modules, virtualenvs, dist/build output and bundles.
    #[arg(long)]
    pub no_default_excludes: bool,
    /// Print files, bytes, time per phase and the slowest rules to stderr.
    #[arg(long)]
    pub stats: bool,
    /// Benchmark floor: walk, read and parse every file but run no rule.
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

const SUBCOMMANDS: &[&str] = &["check", "rules", "explain", "fit", "test-rules", "help"];

/// Entry point; returns the process exit code.
pub fn main() -> i32 {
    let mut args: Vec<String> = std::env::args().collect();
    // `check` is the default command: `stackfit src/` means `stackfit check src/`.
    let first = args.get(1).map(String::as_str);
    let insert = match first {
        None => true,
        Some(a) => !SUBCOMMANDS.contains(&a) && !matches!(a, "-h" | "--help" | "-V" | "--version"),
    };
    if insert {
        args.insert(1, "check".into());
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Check(a) => check(&a),
        Command::Rules => rules(),
        Command::Explain { rule } => explain(&rule),
        Command::Fit { path, format } => fit(path, format),
        Command::TestRules { dir } => crate::testing::test_rules(dir.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.is_empty() => 0,
        Err(e) => {
            eprintln!("stackfit: error: {e}");
            2
        }
    }
}

fn write_out(
    output: &Option<PathBuf>,
    render: impl FnOnce(&mut dyn Write, bool) -> std::io::Result<()>,
) -> Result<(), String> {
    match output {
        Some(path) => {
            let mut buf = Vec::new();
            render(&mut buf, false).map_err(|e| e.to_string())?;
            std::fs::write(path, buf).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            match render(&mut lock, color).and_then(|_| lock.flush()) {
                Ok(()) => Ok(()),
                // A closed pipe (`stackfit | head`) ends the run quietly.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(String::new()),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

pub fn make_report<'a>(res: &'a ScanResult, findings: &'a [Finding]) -> Report<'a> {
    Report {
        version: env!("CARGO_PKG_VERSION"),
        root: &res.root,
        findings,
        rules: res.engine.rules.iter().enumerate().filter(|(i, _)| res.enabled[*i]).map(|(_, r)| &r.meta).collect(),
        summary: RunSummary {
            files: res.files,
            bytes: res.bytes,
            lines: res.lines,
            skipped: res.skipped.len(),
            roles: res.roles.clone(),
            duration_ms: res.started.elapsed().as_millis() as u64,
            started_at: std::time::SystemTime::now().checked_sub(res.started.elapsed()),
            command: std::env::args().collect(),
        },
        skipped: &res.skipped,
        profile: match &res.profile {
            Some(p) => p.to_json(findings),
            None => serde_json::json!({ "applications": [] }),
        },
    }
}

fn check(a: &CheckArgs) -> Result<i32, String> {
    let opts = ScanOptions {
        paths: a.paths.clone(),
        config: a.config.clone(),
        select: a.select.clone(),
        ignore: a.ignore.clone(),
        no_default_excludes: a.no_default_excludes,
        jobs: a.jobs,
        stats: a.stats,
        no_cache: a.no_cache,
        parse_only: a.parse_only,
        min_confidence: a.min_confidence.as_deref().and_then(crate::finding::Confidence::parse),
    };
    let cli_fail_on = a.fail_on.as_deref().and_then(FailOn::parse);
    let res = scan::scan(&opts)?;
    for w in &res.warnings {
        eprintln!("stackfit: warning: {w}");
    }
    if let Some(path) = &a.write_baseline {
        crate::report::json::write_baseline(path, &res.findings)?;
        eprintln!("stackfit: recorded {} findings in {}", res.findings.len(), path.display());
        return Ok(0);
    }
    let mut findings = res.findings.clone();
    if let Some(path) = &a.baseline {
        let known = crate::report::json::read_baseline(path)?;
        findings.retain(|f| !known.contains(&(f.rule_id.clone(), f.path.clone(), f.fingerprint.clone())));
    }
    let t = std::time::Instant::now();
    let report = make_report(&res, &findings);
    write_out(&a.output, |out, color| report::render(a.format, &report, out, color))?;
    let report_time = t.elapsed();
    if a.stats {
        print_stats(&res, report_time);
    }
    let fail_on = res.fail_on(cli_fail_on);
    let failed = match fail_on {
        FailOn::Never => false,
        FailOn::Level(l) => findings.iter().any(|f| f.severity >= l),
    };
    Ok(if failed { 1 } else { 0 })
}

fn print_stats(res: &ScanResult, report_time: std::time::Duration) {
    let t = &res.timings;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "stackfit stats:");
    let _ = writeln!(e, "  files analysed   {:>10}", res.files);
    let _ = writeln!(e, "  files parsed     {:>10}", res.parsed);
    let _ = writeln!(e, "  files cached     {:>10}", res.cached);
    if res.context_files > 0 {
        let _ = writeln!(e, "  context files    {:>10}  (not named; read for project facts)", res.context_files);
    }
    let roles: Vec<String> = res.roles.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let _ = writeln!(e, "  files per role   {:>10}", if roles.is_empty() { "-".to_string() } else { roles.join(", ") });
    let _ = writeln!(e, "  bytes            {:>10}", res.bytes);
    let _ = writeln!(e, "  lines            {:>10}", res.lines);
    let _ = writeln!(e, "  files skipped    {:>10}", res.skipped.len());
    let _ = writeln!(e, "  config + rules   {:>10.1} ms", ms(t.config));
    let _ = writeln!(e, "  walk             {:>10.1} ms", ms(t.walk));
    let _ = writeln!(e, "  cache load       {:>10.1} ms", ms(t.cache_load));
    let _ = writeln!(e, "  phase 1 (wall)   {:>10.1} ms", ms(t.phase1_wall));
    let _ = writeln!(e, "    read   (cpu)   {:>10.1} ms", ms(t.read));
    let _ = writeln!(e, "    parse  (cpu)   {:>10.1} ms", ms(t.parse));
    let _ = writeln!(e, "    rules  (cpu)   {:>10.1} ms", ms(t.rules));
    let _ = writeln!(e, "  phase 2 project  {:>10.1} ms", ms(t.project));
    let _ = writeln!(e, "  cache save       {:>10.1} ms", ms(t.cache_save));
    let _ = writeln!(e, "  report           {:>10.1} ms", ms(report_time));
    let _ = writeln!(e, "  total            {:>10.1} ms", ms(res.started.elapsed()));
    if !t.slowest_rules.is_empty() {
        let _ = writeln!(e, "  slowest rules (cpu):");
        for (id, d) in &t.slowest_rules {
            let _ = writeln!(e, "    {:<36} {:>8.2} ms", id, ms(*d));
        }
    }
    if !t.slowest_files.is_empty() {
        let _ = writeln!(e, "  slowest files (parse + rules):");
        for (path, d) in &t.slowest_files {
            let _ = writeln!(e, "    {:>8.2} ms  {}", ms(*d), path);
        }
    }
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in &res.skipped {
        *reasons.entry(s.reason.as_str()).or_default() += 1;
    }
    for (r, n) in reasons {
        let _ = writeln!(e, "  skipped: {n} file(s): {r}");
    }
    for s in &res.skipped {
        let _ = writeln!(e, "    {} ({})", s.path, s.reason);
    }
    for u in &res.unused_suppressions {
        let _ = writeln!(e, "  unused suppression: {u}");
    }
}

fn load_engine() -> Result<Engine, String> {
    let root = scan::report_root(&[PathBuf::from(".")]);
    let cfg = scan::load_config(&ScanOptions::default(), &root).unwrap_or_else(|_| crate::config::Config::empty(&root));
    crate::registry::engine(&cfg.rules_dirs)
}

fn rules() -> Result<i32, String> {
    let engine = load_engine()?;
    let mut metas: Vec<&RuleMeta> = engine.rules.iter().map(|r| &r.meta).collect();
    metas.sort_by(|a, b| a.id.cmp(&b.id));
    let w = metas.iter().map(|m| m.id.len()).max().unwrap_or(10);
    let mut out = String::new();
    out.push_str(&format!("{:<w$}  {:<8}  {:<12}  {}\n", "id", "severity", "category", "summary"));
    for m in metas {
        out.push_str(&format!(
            "{:<w$}  {:<8}  {:<12}  {}\n",
            m.id,
            m.severity.as_str(),
            m.category.as_str(),
            m.summary
        ));
    }
    write_out(&None, |o, _| o.write_all(out.as_bytes()))?;
    Ok(0)
}

/// The full documentation of a rule as Markdown-ish text.
pub fn rule_doc(engine: &Engine, id: &str) -> Option<String> {
    let i = engine.rule_index(id)?;
    let r = &engine.rules[i];
    let m = &r.meta;
    let mut s = format!("# {}\n\n{}\n\n", m.id, m.summary);
    s.push_str(&format!(
        "severity: {}   category: {}   confidence: {}   languages: {}   kind: {}\n",
        m.severity,
        m.category.as_str(),
        m.confidence.as_str(),
        m.langs.iter().map(|l| l.name()).collect::<Vec<_>>().join(", "),
        match r.kind {
            RuleKind::Code(_) => "code",
            RuleKind::Declarative(_) => "declarative",
        }
    ));
    if !m.docs.guidance.is_empty() {
        s.push_str(&format!("guidance: {}\n", m.docs.guidance.join(", ")));
    }
    for (title, body) in [
        ("What it does", &m.docs.what),
        ("Why is this bad?", &m.docs.why),
        ("Example", &m.docs.example),
        ("Use instead", &m.docs.fix),
    ] {
        s.push_str(&format!("\n## {title}\n\n{}\n", body.trim_end()));
    }
    if !m.docs.references.is_empty() {
        s.push_str("\n## References\n\n");
        for r in &m.docs.references {
            s.push_str(&format!("- {r}\n"));
        }
    }
    Some(s)
}

fn explain(id: &str) -> Result<i32, String> {
    let engine = load_engine()?;
    let doc = rule_doc(&engine, id).ok_or_else(|| format!("unknown rule '{id}' (see `stackfit rules`)"))?;
    write_out(&None, |o, _| o.write_all(doc.as_bytes()))?;
    Ok(0)
}

fn fit(path: Option<PathBuf>, format: Format) -> Result<i32, String> {
    // The fit rules, and the risk rules whose findings are fit signals too
    // (when this build has them).
    let engine = load_engine()?;
    let mut select = vec!["fit/".to_string()];
    select
        .extend(crate::profile::CPU_RULES.iter().filter(|id| engine.rule_index(id).is_some()).map(|id| id.to_string()));
    drop(engine);
    let opts = ScanOptions { paths: path.into_iter().collect(), select: Some(select), ..Default::default() };
    let res = scan::scan(&opts)?;
    for w in &res.warnings {
        eprintln!("stackfit: warning: {w}");
    }
    let findings: Vec<Finding> = res.findings.iter().filter(|f| f.rule_id.starts_with("fit/")).cloned().collect();
    match format {
        Format::Text => {
            let profile = res.profile.clone().unwrap_or_default();
            write_out(&None, |o, _| crate::profile::render::render(&profile, &findings, &res.root, o))?
        }
        f => {
            let report = make_report(&res, &findings);
            write_out(&None, |o, c| report::render(f, &report, o, c))?
        }
    }
    Ok(0)
}
