//! `node/n-plus-one-query`: an ORM or driver query awaited once per loop
//! iteration with arguments that depend on the loop variable, and Sequelize
//! lazy association getters called per row.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::orm::{self, DbCall, Orm, OrmIndex, Repeat};
use crate::parse::Syntax;
use crate::semantics::{descendants, text};
use std::collections::HashSet;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/n-plus-one-query"
languages = ["js"]
severity = "warning"
category = "performance"
confidence = "medium"
prefilter = ["await"]
summary = "A database query awaited once per loop iteration (N+1 queries)"

[docs]
what = """
Flags a query that is awaited inside a loop (`for`, `for…of`, `for…in`, `for await`, `while`,
`do…while`, `.forEach(async …)`) when its arguments depend on the loop variable, so that a list of N
items costs N+1 round trips. Recognised: Prisma `prisma.<model>.findUnique/findFirst/findMany/count/
aggregate` (also `this.prisma` in NestJS services and `tx` in transactions), Sequelize
`findOne/findByPk/findAll/count` on models from `define`/`init`/`class extends Model` and lazy
association getters (`post.getAuthor()`) on rows a Sequelize query returned, Mongoose
`findById/findOne/find/countDocuments` on models from `mongoose.model`, TypeORM repositories
(`getRepository`, `@InjectRepository`, `*Repository`) and managers, Knex builders (`knex('users')`,
`db.knex('users')`), and raw `pool/client/db.query`. Models imported from the project's models
module are recognised too. Loops over constants (`for (const s of ['a', 'b'])`, a module-level array,
`for (let i = 0; i < 3; i++)`) and awaits that are not queries (`fetch`, `sleep`) are left alone.
The finding starts at the query call; the loop is a related location.
"""
why = """
Each query is a network round trip plus query planning on the database. Inside a loop it runs once
per row: a page of 50 orders becomes 51 queries, and latency grows with the data instead of staying
flat. Under load the connection pool drains and every other request waits for a connection.
"""
example = '''
const posts = await Post.findAll();
for (const post of posts) {
  post.author = await User.findByPk(post.authorId);
}
'''
fix = '''
Load the related rows in one query before the loop and look them up in memory, or let the ORM join:
Prisma `include` or `where: { id: { in: ids } }`; Sequelize `include: [{ model: User }]` or
`where: { id: ids }`; Mongoose `.populate('author')` or `{ _id: { $in: ids } }`; TypeORM `relations`
or `In(ids)`; Knex `.whereIn('id', ids)`; SQL `WHERE id = ANY($1)`. For per-request batching across
resolvers, use a DataLoader.
'''
references = [
  "https://www.prisma.io/docs/orm/prisma-client/queries/query-optimization-performance",
  "https://sequelize.org/docs/v6/advanced-association-concepts/eager-loading/",
  "https://mongoosejs.com/docs/populate.html",
  "https://knexjs.org/guide/query-builder.html#wherein",
  "https://github.com/graphql/dataloader",
]
guidance = ["G9"]

[[examples]]
invalid = '''
const { PrismaClient } = require("@prisma/client");
const prisma = new PrismaClient();
async function authors(posts) {
  for (const post of posts) {
    post.author = await prisma.user.findUnique({ where: { id: post.authorId } });
  }
}
'''
valid = '''
const { PrismaClient } = require("@prisma/client");
const prisma = new PrismaClient();
async function authors(posts) {
  const users = await prisma.user.findMany({ where: { id: { in: posts.map((p) => p.authorId) } } });
  for (const post of posts) {
    post.author = users.find((u) => u.id === post.authorId);
  }
}
'''

[[examples]]
invalid = '''
const mongoose = require("mongoose");
const Order = mongoose.model("Order", orderSchema);
async function load(ids) {
  ids.forEach(async (id) => {
    console.log(await Order.findById(id));
  });
}
'''
valid = '''
const mongoose = require("mongoose");
const Order = mongoose.model("Order", orderSchema);
async function poll(ids) {
  for (const status of ["new", "paid"]) {
    await Order.countDocuments({ status });
  }
  for (const id of ids) {
    await sleep(100);
  }
}
'''

[[examples]]
path = "posts.js"
invalid = '''
const { Post } = require("./models");
async function feed() {
  const posts = await Post.findAll();
  for (const post of posts) {
    post.writer = await post.getAuthor();
  }
}
'''
valid = '''
const { Post } = require("./models");
async function feed() {
  return Post.findAll({ include: "author" });
}
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, file: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &mut FileCtx) {
    let root = ctx.tree.root_node();
    let src: &str = &ctx.src.text;
    let idx = orm::index(root, src, ctx.bindings());
    let mut tops = Vec::new();
    descendants(root, |n| {
        if n.ty() == "call_expression" && orm::chain_top(n) == n {
            tops.push(n);
        }
        true
    });
    let mut seen_getters: HashSet<(usize, String)> = HashSet::new();
    for top in tops {
        if !orm::is_awaited(top, src) {
            continue;
        }
        let query = orm::query_of(top, src, &idx);
        let Some(rep) = orm::repeat_of(top, src) else { continue };
        if let Repeat::Callback(_, _, m) = rep {
            if m != "forEach" {
                continue;
            }
        }
        // Chunks of ids, pages, batches: one query per batch is the fix for N+1.
        let batches = orm::iterable_label(rep, src).is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("chunk") || l.contains("batch")
        });
        if batches || orm::is_constant_iteration(rep, root, src) {
            continue;
        }
        let names = orm::iteration_names(rep, src);
        match query {
            Some(q) => {
                if !orm::value_depends(top, &q, src, &names)
                    || orm::table_depends(top, &q, src, &names)
                    || orm::is_paging(top, src)
                    || orm::is_batched(top, src)
                {
                    continue;
                }
                report_query(ctx, &q, top, rep);
            }
            None => {
                let Some((getter, assoc)) = lazy_getter(top, src, &names) else { continue };
                let Some(source) = sequelize_source(rep, src, &idx) else { continue };
                if !seen_getters.insert((rep.node().start_byte(), assoc.clone())) {
                    continue;
                }
                let rows = orm::iterable_label(rep, src).unwrap_or_else(|| "the rows".into());
                let msg = format!(
                    "`{}` loads '{assoc}' with one query per item of `{rows}` ({} on line {}): N+1 queries. \
                     Eager-load it on the query that produced the rows: `include: [{{ association: '{assoc}' }}]`",
                    crate::finding::shorten(ctx.text(getter)),
                    loop_word(rep),
                    ctx.src.line_of(rep.node().start_byte()),
                );
                let loop_loc = ctx.location(rep.node(), Some("the loop".into()));
                let src_loc = source.map(|s| ctx.location(s, Some("the query that loaded the rows".into())));
                let f = ctx.report(top, msg);
                f.related(loop_loc);
                if let Some(l) = src_loc {
                    f.related(l);
                }
            }
        }
    }
}

fn loop_word(rep: Repeat) -> &'static str {
    match rep {
        Repeat::Loop(l) => match l.ty() {
            "for_in_statement" => "loop",
            "while_statement" | "do_statement" => "while loop",
            _ => "for loop",
        },
        Repeat::Callback(..) => ".forEach callback",
    }
}

fn report_query(ctx: &mut FileCtx, q: &DbCall, top: Node, rep: Repeat) {
    let line = ctx.src.line_of(rep.node().start_byte());
    let per = match orm::iterable_label(rep, &ctx.src.text) {
        Some(it) => format!("once per item of `{it}` ({} on line {line})", loop_word(rep)),
        None => format!("once per iteration of the {} on line {line}", loop_word(rep)),
    };
    let fix = q.orm.batch_fix();
    let extra = if q.orm == Orm::Prisma && q.method.starts_with("findUnique") {
        " (Prisma batches findUnique only when the calls are issued in the same tick, not one await at a time)"
    } else {
        ""
    };
    let msg = format!(
        "{} query `{}(...)` is awaited {per}: N+1 queries. Instead, {fix}; or batch per request with a DataLoader{extra}",
        q.orm.name(),
        q.label
    );
    let loc = ctx.location(rep.node(), Some("the loop".into()));
    ctx.report(top, msg).related(loc);
}

/// `post.getAuthor()` on a loop variable: (the callee, "author").
fn lazy_getter<'t>(top: Node<'t>, src: &str, names: &HashSet<String>) -> Option<(Node<'t>, String)> {
    let f = top.field("function").filter(|f| f.ty() == "member_expression")?;
    let obj = f.field("object").filter(|o| o.ty() == "identifier")?;
    if !names.contains(text(obj, src)) {
        return None;
    }
    let m = text(f.field("property")?, src);
    let rest = m.strip_prefix("get")?;
    let first = rest.chars().next().filter(|c| c.is_ascii_uppercase())?;
    let assoc = format!("{}{}", first.to_ascii_lowercase(), &rest[first.len_utf8()..]);
    Some((f, assoc))
}

/// The Sequelize query that produced the loop's rows, if it can be seen
/// (`Some(None)` when the file is a Sequelize file but the rows come from elsewhere).
fn sequelize_source<'t>(rep: Repeat<'t>, src: &str, idx: &OrmIndex) -> Option<Option<Node<'t>>> {
    let iterable = match rep {
        Repeat::Loop(l) if l.ty() == "for_in_statement" => l.field("right"),
        Repeat::Callback(call, _, _) => call.field("function").and_then(|f| f.field("object")),
        _ => None,
    };
    let is_seq = |n: Node| {
        let mut inner = n;
        while matches!(inner.ty(), "await_expression" | "parenthesized_expression") {
            match inner.named_child(0) {
                Some(i) => inner = i,
                None => break,
            }
        }
        orm::query_of(inner, src, idx).is_some_and(|q| matches!(q.orm, Orm::Sequelize | Orm::Model))
    };
    if let Some(it) = iterable {
        if is_seq(it) {
            return Some(Some(it));
        }
        if it.ty() == "identifier" {
            let name = text(it, src);
            let func = crate::semantics::enclosing_function(crate::parse::Lang::JavaScript, it);
            let scope = func.and_then(|f| f.field("body"));
            let mut found = None;
            if let Some(scope) = scope {
                descendants(scope, |n| {
                    if found.is_none() && n.ty() == "variable_declarator" {
                        if let (Some(nm), Some(v)) = (n.field("name"), n.field("value")) {
                            if text(nm, src) == name && is_seq(v) {
                                found = Some(v);
                            }
                        }
                    }
                    found.is_none()
                });
            }
            if found.is_some() {
                return Some(found);
            }
        }
    }
    (idx.file_orm == Some(Orm::Sequelize)).then_some(None)
}
