//! `python/command-injection`: a shell command that is not a constant,
//! passed to `os.system`, `os.popen`, `subprocess.*(..., shell=True)` and the
//! other functions that run their argument through a shell.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::shorten;
use crate::finding::{Confidence, Severity};
use crate::parse::Syntax;
use crate::semantics::python;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "python/command-injection"
languages = ["python"]
severity = "warning"
category = "security"
tags = ["injection"]
confidence = "low"
prefilter = ["system", "popen", "shell", "getoutput", "getstatusoutput"]
summary = "Shell command built from non-constant values (os.system, subprocess with shell=True)"

[docs]
what = """
Flags a command that is not a constant passed to a function that runs it through a shell:
`os.system`, `os.popen`, `subprocess.getoutput`/`getstatusoutput`,
`asyncio.create_subprocess_shell`, and `subprocess.run`/`call`/`check_call`/`check_output`/`Popen`
with `shell=True`. Variables are followed to their assignments in the function; module-level
string constants, numbers and values quoted with `shlex.quote()`/`shlex.join()` are fine. It is
an error when request data flows into the command, a warning for other non-constant values.
Calls with an argument list and no shell (`subprocess.run(["convert", path, out])`) are not
flagged.
"""
why = """
The shell interprets `;`, `|`, `&&`, `$(...)` and backticks inside the command string. Any value
formatted into it that someone else controls (a file name, a host name, a form field) lets them
append their own command, running with the web process's rights: read the settings and the
database credentials, install a backdoor.
"""
example = '''
def ping(request):
    host = request.GET["host"]
    output = subprocess.check_output(f"ping -c 1 {host}", shell=True)
'''
fix = '''
Pass an argument list and no shell; the program receives the value as one argument, whatever it
contains:

    output = subprocess.check_output(["ping", "-c", "1", host], timeout=5)

If a shell is really needed, quote every value with `shlex.quote()`, and validate values against
an allow-list (a host name pattern, an enum) before using them.
'''
references = [
  "https://docs.python.org/3/library/subprocess.html#security-considerations",
  "https://docs.python.org/3/library/shlex.html#shlex.quote",
  "https://cwe.mitre.org/data/definitions/78.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
import subprocess

def ping(request):
    host = request.GET["host"]
    return subprocess.check_output(f"ping -c 1 {host}", shell=True)
'''
valid = '''
import subprocess

def ping(request):
    host = request.GET["host"]
    return subprocess.check_output(["ping", "-c", "1", host], timeout=5)
'''

[[examples]]
invalid = '''
import os

def backup(path):
    os.system("tar czf /backups/site.tgz " + path)
'''
valid = '''
import os
import shlex

BACKUP_DIR = "/backups"

def backup(path):
    os.system("tar czf " + BACKUP_DIR + "/site.tgz " + shlex.quote(path))
'''

[[examples]]
valid = '''
from subprocess import run

def restart():
    run("systemctl restart gunicorn", shell=True, check=True)
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call"], node: Some(check), ..CodeRule::EMPTY };

const ALWAYS_SHELL: &[&str] = &[
    "os.system",
    "os.popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "commands.getoutput",
    "commands.getstatusoutput",
    "asyncio.create_subprocess_shell",
];
const SHELL_OPTION: &[&str] =
    &["subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen"];

fn is_quoted(n: Node, src: &str) -> bool {
    n.ty() == "call"
        && n.field("function").is_some_and(|f| {
            matches!(crate::semantics::text(f, src), "shlex.quote" | "shlex.join" | "pipes.quote" | "quote")
        })
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    if !matches!(f.ty(), "identifier" | "attribute") {
        return;
    }
    let Some(q) = ctx.qualified_name(f) else { return };
    let kwargs = python::keyword_args(&ctx.src.text, call);
    if SHELL_OPTION.contains(&q.as_str()) {
        let shell = kwargs.iter().any(|(k, v)| k == "shell" && v.ty() == "true");
        if !shell {
            return;
        }
    } else if !ALWAYS_SHELL.contains(&q.as_str()) {
        return;
    }
    let cmd = python::positional_args(call)
        .first()
        .copied()
        .or_else(|| kwargs.iter().find(|(k, _)| matches!(k.as_str(), "args" | "cmd" | "command")).map(|(_, v)| *v));
    let Some(cmd) = cmd else { return };
    let src = &ctx.src.text;
    let built = python::string_parts(cmd, src, &|n| is_quoted(n, src));
    if built.parts.is_empty() {
        return;
    }
    let tainted = built.parts.iter().copied().find(|p| ctx.is_request_data(*p));
    let (part, severity, whose) = match tainted {
        Some(p) => (p, Some(Severity::Error), "request data "),
        None => (built.parts[0], None, ""),
    };
    let callee = ctx.text(f).to_string();
    let message = format!(
        "{callee}() runs a shell command built from {whose}`{}`: shell syntax in that value (`;`, `$(...)`) runs \
         commands of its own; pass an argument list without a shell, or shlex.quote() the value",
        shorten(ctx.text(part))
    );
    let r = ctx.report(call, message);
    r.severity = severity;
    // Request data: high confidence; another value we cannot prove
    // constant: low (the rule's own).
    r.confidence = tainted.map(|_| Confidence::High);
}
