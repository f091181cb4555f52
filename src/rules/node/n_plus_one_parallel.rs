//! `node/n-plus-one-parallel`: one query per item through
//! `Promise.all(items.map(async ...))` — concurrent, but still N round trips.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::orm::{self, Orm, Repeat};
use crate::parse::Syntax;
use crate::semantics::{descendants, text};
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/n-plus-one-parallel"
languages = ["js"]
severity = "note"
category = "performance"
confidence = "medium"
prefilter = ["Promise.all"]
summary = "One query per item through Promise.all(items.map(...)): concurrent, still N round trips"

[docs]
what = """
Flags a database query (the same ORM and driver calls as `node/n-plus-one-query`) issued once per
item inside `items.map(...)` whose promises go to `Promise.all` / `Promise.allSettled` (directly or
through a variable), when the query depends on the item. Prisma `findUnique` / `findUniqueOrThrow`
are exempt: Prisma's dataloader batches those calls when they are issued in the same tick, which is
exactly what `Promise.all(items.map(...))` does. `findFirst` is never batched and is flagged.
"""
why = """
Running the queries concurrently hides the latency of one page, but the database still parses,
plans and executes N statements, and a page of N items holds up to N pool connections at once:
under load, other requests queue for a connection. One query with `IN (...)` does the same work in a
single round trip.
"""
example = '''
const authors = await Promise.all(posts.map((p) => User.findByPk(p.authorId)));
'''
fix = '''
Load all rows in one query and map them back in memory: Prisma `findMany({ where: { id: { in: ids } } })`
(or `findUnique`, which Prisma batches), Sequelize `findAll({ where: { id: ids } })` or `include`,
Mongoose `find({ _id: { $in: ids } })` or `.populate()`, TypeORM `findBy({ id: In(ids) })`, Knex
`.whereIn('id', ids)`, or a DataLoader.
'''
references = [
  "https://www.prisma.io/docs/orm/prisma-client/queries/query-optimization-performance#solving-n1-in-graphql-with-findunique-and-prismas-dataloader",
  "https://github.com/graphql/dataloader",
]
guidance = ["G9"]

[[examples]]
invalid = '''
const { PrismaClient } = require("@prisma/client");
const prisma = new PrismaClient();
async function latest(users) {
  return Promise.all(users.map((u) => prisma.post.findFirst({ where: { authorId: u.id } })));
}
'''
valid = '''
const { PrismaClient } = require("@prisma/client");
const prisma = new PrismaClient();
async function authors(posts) {
  return Promise.all(posts.map((p) => prisma.user.findUnique({ where: { id: p.authorId } })));
}
'''

[[examples]]
invalid = '''
async function owners(pool, rows) {
  const pending = rows.map(async (r) => {
    const { rows: o } = await pool.query("SELECT * FROM owners WHERE id = $1", [r.ownerId]);
    return o[0];
  });
  return Promise.allSettled(pending);
}
'''
valid = '''
async function owners(pool, rows) {
  const ids = rows.map((r) => r.ownerId);
  return pool.query("SELECT * FROM owners WHERE id = ANY($1)", [ids]);
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
    for top in tops {
        let Some(q) = orm::query_of(top, src, &idx) else { continue };
        if q.orm == Orm::Prisma && matches!(q.method.as_str(), "findUnique" | "findUniqueOrThrow") {
            continue;
        }
        let Some(rep @ Repeat::Callback(map_call, _, m)) = orm::repeat_of(top, src) else { continue };
        if !matches!(m, "map" | "flatMap") || !orm::is_returned_or_awaited(top, src) {
            continue;
        }
        if !feeds_promise_all(map_call, src) || orm::is_constant_iteration(rep, root, src) {
            continue;
        }
        let names = orm::iteration_names(rep, src);
        if !orm::value_depends(top, &q, src, &names) || orm::is_batched(top, src) {
            continue;
        }
        let items = orm::iterable_label(rep, src).unwrap_or_else(|| "the items".into());
        let msg = format!(
            "{} query `{}(...)` is issued once per item of `{items}` through Promise.all(...map(...)): concurrent, \
             but still N round trips and up to N pool connections. Instead, {}; or batch with a DataLoader",
            q.orm.name(),
            q.label,
            q.orm.batch_fix()
        );
        let loc = ctx.location(map_call, Some("the map over the items".into()));
        ctx.report(top, msg).related(loc);
    }
}

fn is_promise_all(call: Node, src: &str) -> bool {
    call.ty() == "call_expression"
        && call
            .field("function")
            .is_some_and(|f| matches!(text(f, src), "Promise.all" | "Promise.allSettled" | "Bluebird.all"))
}

/// Do the promises of `map_call` reach `Promise.all`: as its argument
/// (possibly spread into an array), or through a variable passed to it in
/// the same function?
fn feeds_promise_all(map_call: Node, src: &str) -> bool {
    let mut n = map_call;
    while let Some(p) = n.up() {
        match p.ty() {
            "parenthesized_expression" | "spread_element" | "array" | "await_expression" => n = p,
            "arguments" => return p.up().is_some_and(|c| is_promise_all(c, src)),
            "variable_declarator" => {
                let Some(name) = p.field("name").filter(|x| x.ty() == "identifier") else {
                    return false;
                };
                let name = text(name, src);
                let scope = crate::semantics::enclosing_function(crate::parse::Lang::JavaScript, p)
                    .and_then(|f| f.field("body"));
                let Some(scope) = scope else { return false };
                let mut found = false;
                descendants(scope, |c| {
                    if !found && is_promise_all(c, src) {
                        if let Some(args) = c.field("arguments") {
                            found = orm::mentions(args, src, &std::iter::once(name.to_string()).collect());
                        }
                    }
                    !found
                });
                return found;
            }
            _ => return false,
        }
    }
    false
}
