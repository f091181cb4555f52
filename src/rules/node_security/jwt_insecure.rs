//! `node/jwt-insecure`: JWTs verified without pinned algorithms, accepted
//! unsigned, or only decoded.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::facts::{object_prop, resolve_object, strip};
use crate::parse::Syntax;
use crate::semantics::js::is_function_kind;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/jwt-insecure"
languages = ["js"]
severity = "warning"
category = "security"
confidence = "medium"
prefilter = ["jsonwebtoken"]
summary = "jwt.verify without algorithms, algorithms: ['none'], or jwt.decode used as verification"

[docs]
what = """
Checks uses of `jsonwebtoken`: `jwt.verify(token, key)` without an options object naming
`algorithms` (a callback in third place counts as no options), any `algorithms` list or
`algorithm` option containing `"none"`, and `jwt.decode(...)` in request-handling code (a function
with a `req`/`request`/`ctx` parameter) that does not also call `verify`: decoding reads the
claims without checking the signature. A missing `algorithms` option is not reported when every
`package.json` of the project declares `jsonwebtoken` 9 or later: since 9.0 the library refuses
`none` unless it is listed and refuses keys of the wrong type for the token's algorithm. The
suggested algorithm follows the key: `HS256` for a shared secret, `RS256` for a public key.
"""
why = """
A token verifier that lets the token choose its own algorithm is the root of the classic JWT
attacks: `alg: none` tokens with no signature, and RS256 keys reused as HS256 secrets
(algorithm confusion). `jwt.decode` performs no check at all: whoever sends a token can claim to be
any user.
"""
example = '''
const payload = jwt.verify(token, publicKey);
'''
fix = '''
Pin the algorithms you issue: `jwt.verify(token, publicKey, { algorithms: ["RS256"] })` (or
`["HS256"]` for a shared secret), never include `"none"`, and use `jwt.verify`, not `jwt.decode`,
wherever the claims decide who the caller is.
'''
references = [
  "https://github.com/auth0/node-jsonwebtoken#jwtverifytoken-secretorpublickey-options-callback",
  "https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html",
  "https://portswigger.net/web-security/jwt/algorithm-confusion",
  "https://cwe.mitre.org/data/definitions/347.html",
]
guidance = ["G10"]

[[examples]]
invalid = '''
const jwt = require("jsonwebtoken");
function auth(req, res, next) {
  req.user = jwt.verify(req.headers.authorization, process.env.JWT_PUBLIC_KEY);
  next();
}
'''
valid = '''
const jwt = require("jsonwebtoken");
function auth(req, res, next) {
  req.user = jwt.verify(req.headers.authorization, process.env.JWT_PUBLIC_KEY, { algorithms: ["RS256"] });
  next();
}
'''

[[examples]]
invalid = '''
import jwt from "jsonwebtoken";
export function currentUser(req) {
  return jwt.decode(req.cookies.token);
}
'''
valid = '''
import jwt from "jsonwebtoken";
const claims = jwt.decode(cachedToken);
const expiresAt = claims.exp * 1000;
'''

[[examples]]
invalid = '''
const jwt = require("jsonwebtoken");
const user = jwt.verify(token, key, { algorithms: ["HS256", "none"] });
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call_expression"], node: Some(check), ..CodeRule::EMPTY };

fn has_none(v: Node, ctx: &FileCtx) -> bool {
    let t = ctx.text(v).to_ascii_lowercase();
    t.contains("\"none\"") || t.contains("'none'") || t.contains("`none`")
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    let Some(q) = ctx.qualified_name(f) else { return };
    if !q.starts_with("jsonwebtoken.") || !ctx.bindings().imports.values().any(|v| v == "jsonwebtoken" || q == *v) {
        return;
    }
    let Some(args) = call.field("arguments") else { return };
    let src = &ctx.src.text;
    match q.as_str() {
        "jsonwebtoken.verify" => {
            let opts = args.named_child(2);
            let obj = match opts {
                None => None,
                Some(o) if is_function_kind(strip(o).ty()) => None,
                Some(o) => match resolve_object(ctx, o) {
                    Some(obj) => Some(obj),
                    None => return, // options built elsewhere: cannot tell
                },
            };
            match obj.and_then(|o| object_prop(o, "algorithms", src)) {
                None => {
                    if obj.is_some_and(crate::model::node::facts::has_spread) {
                        return;
                    }
                    // The algorithm the key calls for: HS256 for a shared
                    // secret, RS256 for a key pair's public key.
                    let key = args.named_child(1).map(|k| ctx.text(k).to_ascii_lowercase()).unwrap_or_default();
                    let pin = if key.contains("secret") || key.starts_with(['"', '\'', '`']) {
                        "[\"HS256\"] (the key is a shared secret)"
                    } else if ["public", "pub_key", "pubkey", "cert", "pem"].iter().any(|k| key.contains(k)) {
                        "[\"RS256\"] (the key is a public key)"
                    } else {
                        "the one your tokens use ([\"HS256\"] for a shared secret, [\"RS256\"] for a key pair)"
                    };
                    // jsonwebtoken 9 refuses `none` and keys of the wrong type
                    // itself: the option is then only belt and braces.
                    ctx.report(call, format!("jwt.verify() without an `algorithms` option lets the token pick its algorithm (alg: none, RS256/HS256 confusion with jsonwebtoken before 9); pin it: {{ algorithms: {pin} }}"))
                        .unless(format!("{}jsonwebtoken>=9", crate::engine::facts::NPM_SYMBOL));
                }
                Some(a) if has_none(a, ctx) => {
                    ctx.report(call, "jwt.verify() accepts algorithm \"none\": unsigned tokens pass verification");
                }
                Some(_) => {}
            }
        }
        "jsonwebtoken.sign" => {
            let opts = args.named_child(2).and_then(|o| resolve_object(ctx, o));
            if opts.and_then(|o| object_prop(o, "algorithm", src)).is_some_and(|a| has_none(a, ctx)) {
                ctx.report(call, "jwt.sign() with algorithm \"none\" issues unsigned tokens anyone can forge");
            }
        }
        "jsonwebtoken.decode" => {
            let Some(func) = ctx.enclosing_function(call) else { return };
            // Decoding to pick the key (`kid`) before verifying is fine.
            if ctx.text(func).contains("verify(") {
                return;
            }
            let params = func.field("parameters").or(func.field("parameter"));
            let mut names = std::collections::HashSet::new();
            if let Some(p) = params {
                crate::semantics::js::add_pattern_names(p, src, &mut names);
            }
            if !["req", "request", "ctx", "context"].iter().any(|n| names.contains(*n)) {
                return;
            }
            ctx.report(call, "jwt.decode() does not check the signature: anyone can send a token claiming to be any user; use jwt.verify() with pinned algorithms");
        }
        _ => {}
    }
}
