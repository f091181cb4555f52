//! `node/nosql-injection`: request data as a whole MongoDB filter.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::facts::strip;
use crate::parse::Syntax;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/nosql-injection"
languages = ["js"]
severity = "error"
category = "security"
tags = ["injection", "request-data"]
confidence = "medium"
prefilter = ["find", "update", "delete", "count", "$where", "aggregate", "exists", "remove"]
summary = "Request data passed whole as a MongoDB/Mongoose filter, or into $where"

[docs]
what = """
Flags MongoDB/Mongoose queries (`find`, `findOne`, `updateOne`, `deleteMany`, `countDocuments`,
`aggregate`, ...) on a collection or model (`db.collection("x")`, `this.userModel`, a capitalised
model in a file using mongoose/mongodb or importing it from a models module) whose filter is
request data passed whole — `User.find(req.body)`,
`Order.findOne(req.query)`, or a variable holding it — and `$where` clauses built from request
data. Filters built field by field from request values are not reported by this rule.
"""
why = """
JSON request bodies and query strings parsed by `qs` can carry objects, not just strings. Passed
as a filter, `{"password": {"$ne": null}}` matches every user, `{"$where": "sleep(5000)"}` runs
JavaScript inside the database, and `{"$regex": ".*"}` enumerates data: the classic login bypass
of Node/Mongo apps.
"""
example = '''
app.post("/login", async (req, res) => {
  const user = await User.findOne(req.body);
  res.json(user);
});
'''
fix = '''
Build the filter from the fields you expect, cast to the types you expect:
`User.findOne({ email: String(req.body.email) })`. Validate bodies with a schema (zod, joi,
class-validator), enable Mongoose's `sanitizeFilter` option or use `express-mongo-sanitize`, and
never pass request data to `$where`.
'''
references = [
  "https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/07-Input_Validation_Testing/05.6-Testing_for_NoSQL_Injection",
  "https://mongoosejs.com/docs/api/mongoose.html#Mongoose.prototype.sanitizeFilter()",
  "https://cwe.mitre.org/data/definitions/943.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
const User = require("../models/user");
app.post("/login", async (req, res) => {
  const user = await User.findOne(req.body);
  res.json(user);
});
'''
valid = '''
const User = require("../models/user");
app.post("/login", async (req, res) => {
  const user = await User.findOne({ email: String(req.body.email) });
  res.json(user);
});
'''

[[examples]]
invalid = '''
router.get("/search", async (req, res) => {
  const { expr } = req.query;
  res.json(await db.collection("posts").find({ $where: expr }).toArray());
});
'''
valid = '''
async function activeUsers() {
  const filter = { active: true };
  return User.find(filter);
}
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call_expression"], node: Some(check), ..CodeRule::EMPTY };

const METHODS: &[&str] = &[
    "find",
    "findOne",
    "findOneAndUpdate",
    "findOneAndDelete",
    "findOneAndRemove",
    "findOneAndReplace",
    "updateOne",
    "updateMany",
    "deleteOne",
    "deleteMany",
    "replaceOne",
    "countDocuments",
    "count",
    "exists",
    "remove",
    "aggregate",
];

/// A MongoDB collection or Mongoose model: `db.collection("users")`, a
/// name ending in `collection`/`model` (`this.userModel`), or a capitalised
/// model (`User`) in a file that uses mongoose/mongodb or imports it from a
/// models module. Services with look-alike methods (`itemsService.deleteOne(pk)`)
/// are not.
fn is_mongo_receiver(obj: Node, ctx: &FileCtx) -> bool {
    let obj = strip(obj);
    if obj.ty() == "call_expression" {
        return obj.field("function").and_then(|f| f.field("property")).is_some_and(|p| ctx.text(p) == "collection");
    }
    let text = ctx.text(obj);
    let last = text.rsplit('.').next().unwrap_or(text);
    let lower = last.to_ascii_lowercase();
    if lower.ends_with("collection") || lower.ends_with("model") {
        return true;
    }
    if obj.ty() != "identifier" || !last.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    let b = ctx.bindings();
    let mongo_file = b.imports.values().any(|m| {
        let pkg = crate::model::node::facts::package_name(m);
        matches!(pkg, "mongoose" | "mongodb" | "@typegoose/typegoose")
    });
    let from_models = b.imports.get(last).is_some_and(|m| m.to_ascii_lowercase().contains("model"));
    mongo_file || from_models
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function").filter(|f| f.ty() == "member_expression") else { return };
    let method = f.field("property").map(|p| ctx.text(p)).unwrap_or("");
    if !METHODS.contains(&method) {
        return;
    }
    let Some(obj) = f.field("object") else { return };
    if !is_mongo_receiver(obj, ctx) {
        return;
    }
    let Some(filter) = call.field("arguments").and_then(|a| a.named_child(0)) else { return };
    let filter = strip(filter);
    let culprit = match filter.ty() {
        "identifier" | "member_expression" | "subscript_expression" => ctx.is_request_data(filter).then_some(filter),
        "object" => {
            let mut c = filter.walk();
            let w = filter.named_children(&mut c).find(|p| {
                p.ty() == "pair"
                    && p.field("key").is_some_and(|k| ctx.text(k).trim_matches(|c| c == '"' || c == '\'') == "$where")
                    && p.field("value").is_some_and(|v| ctx.is_request_data(v))
            });
            w
        }
        _ => None,
    };
    let Some(culprit) = culprit else { return };
    let arg = crate::finding::shorten(ctx.text(culprit));
    ctx.report(call, format!("{method}() takes its filter from the request (`{arg}`): a client can send operators such as {{\"$ne\": null}} or {{\"$where\": ...}} and match any document"));
}
