//! `node/hardcoded-secret`: secrets written into the code.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::apps::is_test_or_example;
use crate::model::node::facts::strip;
use crate::parse::Syntax;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/hardcoded-secret"
languages = ["js"]
severity = "error"
category = "security"
tags = ["secret"]
confidence = "medium"
prefilter = ["secret", "Secret", "SECRET", "sign(", "verify(", "createHmac", "createCipheriv", "cookieParser", "KEY", "Key", "key", "PASSWORD", "assword", "TOKEN", "oken"]
summary = "Literal secrets for JWTs, sessions, HMACs or API keys in the code"

[docs]
what = """
Flags secrets written into the code: a literal key passed to `jwt.sign`/`jwt.verify`
(jsonwebtoken), `crypto.createHmac`, `crypto.createCipheriv` or `cookie-parser`; a literal value
for an option named `secret`, `secretOrKey`, `secretOrPrivateKey`, `clientSecret`, `jwtSecret`,
`sessionSecret` or `cookieSecret` (express-session, express-jwt, passport-jwt, `JwtModule.register`,
OAuth strategies); and high-entropy string literals assigned to names containing SECRET, API_KEY,
PASSWORD, PRIVATE_KEY or TOKEN. A value read from the environment, with or without a literal
fallback (`process.env.JWT_SECRET || "dev"`), is not reported; neither are test, example and
fixture files.
"""
why = """
Whoever can read the repository — every developer, CI system, fork, backup and leaked laptop — can
use a committed secret: forge JWTs and session cookies for any user, sign webhooks, call paid APIs
on your account. Rotating it means a code change and a deploy, so committed secrets tend to stay
valid for years.
"""
example = '''
const token = jwt.sign({ sub: user.id }, "s3cr3t-signing-key", { expiresIn: "1h" });
'''
fix = '''
Read secrets from the environment or a secret manager at start-up and fail fast when they are
missing: `const JWT_SECRET = process.env.JWT_SECRET; if (!JWT_SECRET) throw new Error(...)`.
Rotate any secret that was ever committed.
'''
references = [
  "https://cwe.mitre.org/data/definitions/798.html",
  "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
  "https://github.com/auth0/node-jsonwebtoken#jwtsignpayload-secretorprivatekey-options-callback",
]
guidance = ["G10"]

[[examples]]
invalid = '''
const jwt = require("jsonwebtoken");
const token = jwt.sign({ sub: user.id }, "s3cr3t-signing-key", { expiresIn: "1h" });
'''
valid = '''
const jwt = require("jsonwebtoken");
const token = jwt.sign({ sub: user.id }, process.env.JWT_SECRET, { expiresIn: "1h" });
'''

[[examples]]
invalid = '''
const STRIPE_API_KEY = "sk_live_51HxQ2vKp9ZrT4mW8yLbN3cD7";
'''
valid = '''
const API_KEY_HEADER = "x-api-key";
const PASSWORD_MIN_LENGTH = 12;
'''

[[examples]]
invalid = '''
app.use(session({ secret: "keyboard cat", resave: false }));
'''
valid = '''
app.use(session({ secret: process.env.SESSION_SECRET || "dev-only", resave: false }));
'''
"#####;

pub const RULE: CodeRule = CodeRule {
    doc: DOC,
    kinds: &["call_expression", "pair", "variable_declarator", "assignment_expression"],
    gate: Some(gate),
    node: Some(check),
    ..CodeRule::EMPTY
};

fn gate(ctx: &FileCtx) -> bool {
    !is_test_or_example(ctx.rel)
}

/// Options that hold a secret whatever their value looks like.
const SECRET_OPTIONS: &[&str] =
    &["secret", "secretOrKey", "secretOrPrivateKey", "clientSecret", "jwtSecret", "sessionSecret", "cookieSecret"];

/// Calls taking a key as argument `.1`.
const KEY_ARGS: &[(&str, usize)] = &[
    ("jsonwebtoken.sign", 1),
    ("jsonwebtoken.verify", 1),
    ("crypto.createHmac", 1),
    ("crypto.createCipheriv", 1),
    ("crypto.createDecipheriv", 1),
    ("cookie-parser", 0),
];

/// A string literal's value (quotes removed), if `n` is one.
fn literal(n: Node, ctx: &FileCtx) -> Option<String> {
    let n = strip(n);
    match n.ty() {
        "string" => Some(ctx.text(n).trim_matches(|c| c == '"' || c == '\'').to_string()),
        "template_string" if crate::semantics::js::is_literal(n) => Some(ctx.text(n).trim_matches('`').to_string()),
        _ => None,
    }
}

fn shannon(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts.values().map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum()
}

/// Looks like a generated key or token rather than a word, a header name,
/// a path or a placeholder.
pub fn high_entropy(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let placeholder = [
        "your",
        "change",
        "example",
        "placeholder",
        "xxxx",
        "dummy",
        "sample",
        "replace",
        "<",
        "${",
        "todo",
        "blank",
        "redacted",
        "masked",
    ];
    s.chars().count() >= 16
        && !s.contains(char::is_whitespace)
        && !s.contains("://")
        && !s.starts_with('/')
        && !s.starts_with("./")
        && !placeholder.iter().any(|p| lower.contains(p))
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars().any(|c| c.is_ascii_alphabetic())
        && shannon(s) >= 3.5
}

fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['_', '-'], "");
    // What stands in for a secret or describes one is not one:
    // `REDACTED_CREDENTIAL_VALUE`, `TOKEN_PREFIX`, `PASSWORD_FIELD`.
    let describes = [
        "redact",
        "placeholder",
        "mask",
        "blank",
        "dummy",
        "sample",
        "example",
        "prefix",
        "suffix",
        "pattern",
        "regex",
        "header",
        "field",
        "param",
        "label",
        "url",
        "path",
        "name",
        "type",
        "length",
    ];
    ["secret", "apikey", "password", "passwd", "privatekey", "accesstoken", "authtoken", "token", "credential"]
        .iter()
        .any(|k| n.contains(k))
        && !describes.iter().any(|d| n.contains(d))
}

fn check(node: Node, ctx: &mut FileCtx) {
    match node.ty() {
        "call_expression" => {
            let Some(f) = node.field("function") else { return };
            let Some(q) = ctx.qualified_name(f) else { return };
            let Some(&(_, i)) = KEY_ARGS.iter().find(|(n, _)| *n == q) else { return };
            if !ctx.bindings().imports.values().any(|v| q.starts_with(v.as_str())) {
                return;
            }
            let Some(arg) = node.field("arguments").and_then(|a| a.named_child(i as u32)) else { return };
            if literal(arg, ctx).is_some_and(|v| !v.trim().is_empty()) {
                let what = ctx.text(f).to_string();
                ctx.report(node, format!("{what}() is given a secret written in the code: anyone who can read the repository can forge or decrypt what it protects; read it from the environment"));
            }
        }
        "pair" => {
            let (Some(k), Some(v)) = (node.field("key"), node.field("value")) else {
                return;
            };
            let key = ctx.text(k).trim_matches(|c| c == '"' || c == '\'').to_string();
            let Some(value) = literal(v, ctx) else { return };
            let hit = if SECRET_OPTIONS.contains(&key.as_str()) {
                value.trim().len() >= 3
            } else {
                secret_name(&key) && high_entropy(&value)
            };
            if hit {
                ctx.report(node, format!("'{key}' is a secret written in the code: anyone who can read the repository can use it; read it from the environment"));
            }
        }
        "variable_declarator" | "assignment_expression" => {
            let (name, value) = if node.ty() == "variable_declarator" {
                (node.field("name"), node.field("value"))
            } else {
                (node.field("left"), node.field("right"))
            };
            let (Some(name), Some(value)) = (name, value) else { return };
            let name_text = match name.ty() {
                "identifier" => ctx.text(name).to_string(),
                "member_expression" => name.field("property").map(|p| ctx.text(p).to_string()).unwrap_or_default(),
                _ => return,
            };
            if !secret_name(&name_text) {
                return;
            }
            if literal(value, ctx).is_some_and(|v| high_entropy(&v)) {
                ctx.report(node, format!("{name_text} holds a secret written in the code: anyone who can read the repository can use it; read it from the environment"));
            }
        }
        _ => {}
    }
}
