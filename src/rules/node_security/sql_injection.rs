//! `node/sql-injection`: SQL text assembled from strings and handed to a
//! raw query API.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::{Confidence, Severity};
use crate::model::node::facts::strip;
use crate::parse::Syntax;
use crate::semantics::descendants;
use crate::semantics::js::is_literal;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/sql-injection"
languages = ["js"]
severity = "error"
category = "security"
tags = ["injection"]
confidence = "low"
prefilter = ["query", "execute", "Raw", "raw(", "unsafe("]
summary = "SQL built with template literals or + passed to query/execute/raw APIs"

[docs]
what = """
Flags SQL text built with template literals (`${...}`) or `+` from values that are not literals and
passed as the query to a raw SQL API (constants — literals, numbers such as `parseInt(...)`, variables holding only
literals — do not count, and neither does a string of names and placeholders whose values are bound
separately, `knex.raw(`${col} = ?`, [value])`, unless request data reaches it): `query`/`execute` of mysql, mysql2, pg, sqlite and
better-sqlite3 clients, pools and connections, `sequelize.query`, TypeORM `query` (data sources,
entity managers, query runners), knex `raw`/`whereRaw`/`orderByRaw`/`joinRaw`/..., Prisma
`$queryRawUnsafe`/`$executeRawUnsafe` and postgres.js `sql.unsafe`. A query string kept in a
local variable first is followed to its assignment. The finding is an error when request data
reaches the string (`req.query`, `req.body`, `ctx.params`, NestJS `@Query()` parameters and the
parameters of service methods in other files that controllers pass them to, ...) and a
warning otherwise. Tagged templates — Prisma `` $queryRaw`...${id}` ``, `` sql`...` `` of
postgres.js, slonik or sql-template-strings — are parameterised and never reported; neither are
queries whose values go in a separate parameter array.
"""
why = """
Parameterised drivers only protect queries whose values travel separately from the SQL text.
Pasting a value into the text lets whoever controls it end the string and append their own SQL:
read every table, bypass the login, drop data.
"""
example = '''
app.get("/users", async (req, res) => {
  const rows = await pool.query(`SELECT * FROM users WHERE name = '${req.query.name}'`);
  res.json(rows);
});
'''
fix = '''
Pass values as parameters: `pool.query("SELECT * FROM users WHERE name = $1", [req.query.name])`
(pg), `?` placeholders with mysql2 `execute`, `knex.raw("... = ?", [name])`, Prisma's tagged
`` $queryRaw`... ${name}` ``. Identifiers (columns, sort order) cannot be parameters: pick them from
an allow-list.
'''
references = [
  "https://owasp.org/www-community/attacks/SQL_Injection",
  "https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html",
  "https://node-postgres.com/features/queries#parameterized-query",
  "https://www.prisma.io/docs/orm/prisma-client/using-raw-sql/raw-queries#sql-injection-prevention",
  "https://cwe.mitre.org/data/definitions/89.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
app.get("/users", async (req, res) => {
  const rows = await pool.query(`SELECT * FROM users WHERE name = '${req.query.name}'`);
  res.json(rows);
});
'''
valid = '''
app.get("/users", async (req, res) => {
  const rows = await pool.query("SELECT * FROM users WHERE name = $1", [req.query.name]);
  res.json(rows);
});
'''

[[examples]]
invalid = '''
async function search(term) {
  const sql = "SELECT id FROM posts WHERE title LIKE '%" + term + "%'";
  return db.query(sql);
}
'''
valid = '''
async function byId(prisma, id) {
  return prisma.$queryRaw`SELECT * FROM users WHERE id = ${id}`;
}
'''

[[examples]]
invalid = '''
const users = await prisma.$queryRawUnsafe(`SELECT * FROM "User" WHERE email = '${email}'`);
'''
valid = '''
const total = await knex.raw("select count(*) from orders where status = ?", [status]);
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call_expression"], node: Some(check), ..CodeRule::EMPTY };

/// Methods that only ever take SQL.
const RAW_METHODS: &[&str] = &[
    "raw",
    "whereRaw",
    "orWhereRaw",
    "andWhereRaw",
    "havingRaw",
    "orHavingRaw",
    "joinRaw",
    "orderByRaw",
    "groupByRaw",
    "fromRaw",
    "$queryRawUnsafe",
    "$executeRawUnsafe",
    "unsafe",
];
/// Methods that take SQL on database clients.
const QUERY_METHODS: &[&str] = &["query", "execute", "exec", "run", "all", "get", "prepare"];
const DB_RECEIVERS: &[&str] = &[
    "db",
    "pool",
    "conn",
    "connection",
    "client",
    "sequelize",
    "knex",
    "database",
    "manager",
    "queryrunner",
    "datasource",
    "mysql",
    "pg",
    "sqlite",
    "trx",
    "tx",
    "transaction",
    "sql",
];

fn looks_like_sql(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "select ",
        "insert into",
        "update ",
        "delete from",
        " where ",
        "order by",
        "values (",
        "values(",
        "create table",
        "drop table",
    ]
    .iter()
    .any(|k| t.contains(k))
}

/// The string-building expression `arg` is, or was assigned from in its
/// function: a template with substitutions or a `+` over non-literals.
fn built_string<'t>(arg: Node<'t>, ctx: &FileCtx<'t>) -> Option<Node<'t>> {
    let arg = strip(arg);
    match arg.ty() {
        "template_string" | "binary_expression" if !is_literal(arg) => {
            if arg.ty() == "binary_expression" && arg.field("operator").map(|o| ctx.text(o)) != Some("+") {
                return None;
            }
            Some(arg)
        }
        "identifier" => {
            let name = ctx.text(arg);
            let scope = ctx.enclosing_function(arg).unwrap_or(ctx.tree.root_node());
            let mut found = None;
            descendants(scope, |n| {
                if n.start_byte() >= arg.start_byte() {
                    return false;
                }
                if n.ty() == "variable_declarator" && n.field("name").is_some_and(|x| ctx.text(x) == name) {
                    if let Some(v) = n.field("value").map(strip) {
                        if matches!(v.ty(), "template_string" | "binary_expression") && !is_literal(v) {
                            found = Some(v);
                        }
                    }
                }
                true
            });
            found
        }
        _ => None,
    }
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function").filter(|f| f.ty() == "member_expression") else { return };
    // Tagged templates (`sql\`...\``) have a template, not arguments.
    let Some(args) = call.field("arguments").filter(|a| a.ty() == "arguments") else { return };
    let Some(arg) = args.named_child(0) else { return };
    let method = f.field("property").map(|p| ctx.text(p)).unwrap_or("");
    let receiver = f
        .field("object")
        .map(|o| ctx.text(o).rsplit('.').next().unwrap_or("").to_ascii_lowercase())
        .unwrap_or_default();
    let raw = RAW_METHODS.contains(&method);
    let db_receiver = DB_RECEIVERS.iter().any(|r| receiver == *r || receiver.ends_with(r) || receiver.starts_with(r));
    if !raw && !QUERY_METHODS.contains(&method) {
        return;
    }
    let built = built_string(arg, ctx);
    let sql_like = built.is_some_and(|b| looks_like_sql(ctx.text(b)));
    // Request data is looked for (a taint analysis of the function) only
    // where it decides something.
    let hit = match built {
        Some(_) => raw || (sql_like && (db_receiver || matches!(method, "query" | "execute"))),
        // A value taken straight from the request used as the query.
        None => (raw || (db_receiver && matches!(method, "query" | "execute"))) && ctx.is_request_data(arg),
    };
    if !hit || built.is_some_and(|b| crate::semantics::constant::is_constant(ctx.lang, b, &ctx.src.text)) {
        return;
    }
    let tainted = built.is_none() || ctx.is_request_data(arg);
    // Values bound separately (`knex.raw(\`${column} = ?\`, [value])`): the
    // string only assembles names and placeholders.
    if !tainted && args.named_child(1).is_some() {
        return;
    }
    let callee = crate::finding::shorten(ctx.text(f));
    if tainted {
        ctx.report(call, format!("SQL built from request data is passed to {callee}(): whoever sends the request can rewrite the query; pass the values as parameters"))
            .confidence(Confidence::High);
    } else {
        ctx.report(call, format!("SQL assembled from strings is passed to {callee}(): if any part comes from a user the query can be rewritten; pass the values as parameters"))
            .severity(Severity::Warning);
    }
}
