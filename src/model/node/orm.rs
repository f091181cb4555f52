//! Database calls in JavaScript/TypeScript and the loops that repeat them:
//! which calls are ORM or driver queries (Prisma, Sequelize, Mongoose,
//! TypeORM, Knex, raw `pool/client/db.query`), which loop or array callback
//! encloses one, and whether its arguments depend on the loop variable.
//! Used by `node/n-plus-one-query` and `node/n-plus-one-parallel`.

use crate::parse::Syntax;
use crate::semantics::js::{is_function_kind, param_names};
use crate::semantics::{descendants, text, Bindings};
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Orm {
    Prisma,
    Sequelize,
    Mongoose,
    TypeOrm,
    Knex,
    Sql,
    /// A model imported from the project's models whose ORM this file does not tell.
    Model,
}

impl Orm {
    pub fn name(self) -> &'static str {
        match self {
            Orm::Prisma => "Prisma",
            Orm::Sequelize => "Sequelize",
            Orm::Mongoose => "Mongoose",
            Orm::TypeOrm => "TypeORM",
            Orm::Knex => "Knex",
            Orm::Sql => "SQL driver",
            Orm::Model => "ORM",
        }
    }

    /// How to fetch the rows of a loop in one round trip.
    pub fn batch_fix(self) -> &'static str {
        match self {
            Orm::Prisma => "load them in one query before the loop (`findMany({ where: { id: { in: ids } } })`) or `include` the relation on the query that produced the list",
            Orm::Sequelize => "`include` the association on the query that produced the list, or load them in one `findAll({ where: { id: ids } })` (an array means IN) before the loop",
            Orm::Mongoose => "`.populate()` the reference on the query that produced the list, or load them in one `find({ _id: { $in: ids } })` before the loop",
            Orm::TypeOrm => "load the relation with `relations: [...]` on the query that produced the list, or in one `findBy({ id: In(ids) })` before the loop",
            Orm::Knex => "load them in one query with `.whereIn(column, ids)` before the loop",
            Orm::Sql => "load them in one query (`WHERE id = ANY($1)` / `WHERE id IN (?)`) before the loop",
            Orm::Model => "load them in one query before the loop (Sequelize `include` or `where: { id: ids }`, Mongoose `.populate()` or `$in`)",
        }
    }
}

const PRISMA_METHODS: &[&str] =
    &["findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "count", "aggregate", "groupBy"];
/// Prisma methods no other recognised ORM has: `x.model.findMany` is Prisma
/// whatever the client is called.
const PRISMA_ONLY: &[&str] =
    &["findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "groupBy"];
const SEQUELIZE_METHODS: &[&str] = &["findOne", "findByPk", "findAll", "count", "findAndCountAll", "max", "min", "sum"];
const MONGOOSE_METHODS: &[&str] = &["findById", "findOne", "find", "countDocuments", "exists", "distinct"];
const TYPEORM_METHODS: &[&str] = &[
    "findOne",
    "findOneBy",
    "find",
    "findBy",
    "count",
    "countBy",
    "findOneOrFail",
    "findOneByOrFail",
    "findAndCount",
    "findAndCountBy",
    "exists",
    "existsBy",
];
const KNEX_METHODS: &[&str] = &["select", "from", "table", "raw", "first", "where", "count", "pluck"];
const SQL_RECEIVERS: &[&str] =
    &["pool", "client", "db", "conn", "connection", "database", "pg", "mysql", "sequelize", "sql", "pgpool", "dbpool"];
const PG_PROMISE_METHODS: &[&str] = &["one", "oneOrNone", "many", "manyOrNone", "any", "none"];

/// What the file tells about its database handles.
#[derive(Debug, Default)]
pub struct OrmIndex {
    prisma: HashSet<String>,
    models: HashMap<String, Orm>,
    /// Names bound to the project's models module (`const db = require('../models')`).
    model_namespaces: HashSet<String>,
    repos: HashSet<String>,
    knex: HashSet<String>,
    sql: HashSet<String>,
    /// The ORM the file imports, if exactly one.
    pub file_orm: Option<Orm>,
}

fn is_models_path(q: &str) -> bool {
    let l = q.to_ascii_lowercase();
    (l.starts_with('.') || l.starts_with("@/") || l.starts_with("~/") || l.starts_with("src/"))
        && (l.contains("model") || l.contains("entit") || l.contains("schema"))
}

fn capitalized(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

fn unwrap_await(mut v: Node) -> Node {
    while matches!(v.ty(), "await_expression" | "parenthesized_expression" | "non_null_expression") {
        match v.named_child(0) {
            Some(i) => v = i,
            None => break,
        }
    }
    v
}

pub fn index(root: Node, src: &str, b: &Bindings) -> OrmIndex {
    let mut idx = OrmIndex::default();
    let mut orms: Vec<Orm> = Vec::new();
    for (local, q) in &b.imports {
        let module = q.split('.').next().unwrap_or(q);
        let orm = match module {
            "mongoose" => Some(Orm::Mongoose),
            "sequelize" | "sequelize-typescript" => Some(Orm::Sequelize),
            "typeorm" | "@nestjs/typeorm" => Some(Orm::TypeOrm),
            "knex" => Some(Orm::Knex),
            "@prisma/client" | "@nestjs/prisma" => Some(Orm::Prisma),
            "pg" | "mysql" | "mysql2" | "mysql2/promise" | "pg-promise" | "postgres" => Some(Orm::Sql),
            _ => None,
        };
        if let Some(o) = orm {
            if !orms.contains(&o) {
                orms.push(o);
            }
            if o == Orm::Knex && !q.contains('.') {
                idx.knex.insert(local.clone());
            }
        }
        let lq = q.to_ascii_lowercase();
        if lq.starts_with('.') || lq.starts_with("@/") || lq.starts_with("~/") {
            if capitalized(local) && is_models_path(q) {
                idx.models.insert(local.clone(), Orm::Model);
            } else if lq.contains("prisma") {
                idx.prisma.insert(local.clone());
            } else if lq.contains("knex") {
                idx.knex.insert(local.clone());
            } else if is_models_path(q) && !capitalized(local) {
                idx.model_namespaces.insert(local.clone());
            }
        }
    }
    let with_orm = |o: Orm| if orms.len() == 1 { orms[0] } else { o };
    idx.file_orm = (orms.len() == 1).then(|| orms[0]);
    descendants(root, |n| {
        match n.ty() {
            "variable_declarator" | "public_field_definition" | "field_definition" => {
                let name = n.field("name").or(n.field("property"));
                let (Some(name), Some(v)) = (name, n.field("value")) else { return true };
                let key = if n.ty() == "variable_declarator" {
                    text(name, src).to_string()
                } else {
                    format!("this.{}", text(name, src))
                };
                let v = unwrap_await(v);
                let vt = text(v, src);
                if vt.contains("new PrismaClient") {
                    idx.prisma.insert(key);
                } else if vt.contains("mongoose.model(") || vt.starts_with("model(") {
                    idx.models.insert(key, Orm::Mongoose);
                } else if v.ty() == "call_expression" {
                    let callee = v.field("function").map(|f| text(f, src)).unwrap_or("");
                    let last = callee.rsplit('.').next().unwrap_or("");
                    let first_arg_string =
                        v.field("arguments").and_then(|a| a.named_child(0)).is_some_and(|a| a.ty() == "string");
                    if last == "define" && first_arg_string {
                        idx.models.insert(key, Orm::Sequelize);
                    } else if matches!(
                        last,
                        "getRepository"
                            | "getCustomRepository"
                            | "getMongoRepository"
                            | "getTreeRepository"
                            | "getManager"
                    ) {
                        idx.repos.insert(key);
                    } else if matches!(last, "createPool" | "createConnection" | "connect" | "getConnection")
                        && !callee.starts_with("mongoose")
                    {
                        idx.sql.insert(key);
                    } else if b.imports.get(callee).is_some_and(|q| q == "knex" || q == "knex.knex")
                        || callee == "require('knex')"
                        || callee == "require(\"knex\")"
                    {
                        idx.knex.insert(key);
                    }
                } else if v.ty() == "new_expression" {
                    let ctor = v.field("constructor").map(|f| text(f, src)).unwrap_or("");
                    let last = ctor.rsplit('.').next().unwrap_or("");
                    if matches!(last, "Pool" | "Client") {
                        idx.sql.insert(key);
                    }
                } else if v.ty() == "member_expression"
                    && v.field("property").is_some_and(|p| text(p, src) == "manager")
                {
                    idx.repos.insert(key);
                }
            }
            "class_declaration" | "class" => {
                let Some(name) = n.field("name") else { return true };
                let mut c = n.walk();
                let heritage = n.named_children(&mut c).find(|c| c.ty() == "class_heritage");
                if let Some(h) = heritage {
                    let ht = text(h, src);
                    let base = ht.trim_start_matches("extends").trim().split(['<', ' ', '{']).next().unwrap_or("");
                    let base = base.rsplit('.').next().unwrap_or("");
                    if base == "Model" {
                        idx.models.insert(text(name, src).to_string(), with_orm(Orm::Sequelize));
                    } else if base == "BaseEntity" {
                        idx.models.insert(text(name, src).to_string(), Orm::TypeOrm);
                    }
                }
            }
            // NestJS constructor injection: `constructor(private prisma: PrismaService,
            // @InjectRepository(User) private users: Repository<User>,
            // @InjectModel(Cat.name) private catModel: Model<Cat>)`.
            "required_parameter" | "optional_parameter" => {
                let mut c = n.walk();
                let is_field = n.children(&mut c).any(|x| matches!(x.ty(), "accessibility_modifier" | "readonly"))
                    || text(n, src).contains("readonly ");
                if !is_field {
                    return true;
                }
                let Some(pat) = n.field("pattern") else { return true };
                let key = format!("this.{}", text(pat, src));
                let ty = n.field("type").map(|t| text(t, src)).unwrap_or("");
                let whole = text(n, src);
                if ty.contains("PrismaService") || ty.contains("PrismaClient") {
                    idx.prisma.insert(key);
                } else if whole.contains("@InjectRepository")
                    || ty.contains("Repository<")
                    || ty.contains("EntityManager")
                {
                    idx.repos.insert(key);
                } else if whole.contains("@InjectModel") {
                    idx.models.insert(key, if ty.contains("typeof") { Orm::Sequelize } else { Orm::Mongoose });
                } else if ty.contains("Knex") {
                    idx.knex.insert(key);
                } else if ty.trim_start_matches(':').trim().starts_with("Pool") {
                    idx.sql.insert(key);
                }
            }
            _ => {}
        }
        true
    });
    idx
}

/// A recognised database call.
#[derive(Debug, Clone)]
pub struct DbCall<'t> {
    /// The call that issues the query (innermost of a chain).
    pub call: Node<'t>,
    pub orm: Orm,
    pub method: String,
    /// Short code for messages: `prisma.user.findUnique`.
    pub label: String,
}

fn last_name<'s>(n: Node, src: &'s str) -> &'s str {
    match n.ty() {
        "member_expression" => n.field("property").map(|p| text(p, src)).unwrap_or(""),
        _ => text(n, src),
    }
}

fn guess_model_orm(method: &str, file_orm: Option<Orm>) -> Option<Orm> {
    let by_method = match method {
        "findByPk" | "findAll" | "findAndCountAll" => Some(Orm::Sequelize),
        "findById" | "find" | "countDocuments" | "exists" | "distinct" => Some(Orm::Mongoose),
        "findOneBy" | "findBy" | "countBy" | "findOneOrFail" => Some(Orm::TypeOrm),
        "findOne" | "count" => None,
        _ => return None,
    };
    Some(by_method.or(file_orm.filter(|o| matches!(o, Orm::Sequelize | Orm::Mongoose))).unwrap_or(Orm::Model))
}

fn methods_of(orm: Orm) -> &'static [&'static str] {
    match orm {
        Orm::Sequelize => SEQUELIZE_METHODS,
        Orm::Mongoose => MONGOOSE_METHODS,
        Orm::TypeOrm => TYPEORM_METHODS,
        _ => &[],
    }
}

/// Is `call` (one call of a chain) a database query?
pub fn recognise<'t>(call: Node<'t>, src: &str, idx: &OrmIndex) -> Option<DbCall<'t>> {
    let f = call.field("function")?;
    let mk = |orm: Orm, method: &str| DbCall {
        call,
        orm,
        method: method.to_string(),
        label: crate::finding::shorten(text(f, src)),
    };
    if f.ty() == "identifier" {
        let name = text(f, src);
        let has_table = call.field("arguments").and_then(|a| a.named_child(0)).is_some();
        if (idx.knex.contains(name) || name == "knex" || name == "trx") && has_table {
            return Some(mk(Orm::Knex, name));
        }
        return None;
    }
    if f.ty() != "member_expression" {
        return None;
    }
    let method = text(f.field("property")?, src);
    let recv = f.field("object")?;
    let recv_t = text(recv, src);
    // Knex: `knex('users')`, `db.knex('users')`, `knex.select(...)`.
    if (idx.knex.contains(recv_t) || recv_t == "knex" || recv_t.ends_with(".knex")) && KNEX_METHODS.contains(&method) {
        return Some(mk(Orm::Knex, method));
    }
    if method == "knex" && call.field("arguments").and_then(|a| a.named_child(0)).is_some() {
        return Some(mk(Orm::Knex, method));
    }
    // Prisma: `<client>.<model>.<method>(...)`.
    if recv.ty() == "member_expression" && PRISMA_METHODS.contains(&method) {
        if let Some(client) = recv.field("object") {
            let ct = text(client, src);
            let model = recv.field("property").map(|p| text(p, src)).unwrap_or("");
            let known = idx.prisma.contains(ct)
                || matches!(ct, "prisma" | "this.prisma" | "ctx.prisma" | "tx" | "this.prismaService")
                || ct.ends_with(".prisma");
            let lower_model = model.chars().next().is_some_and(|c| c.is_ascii_lowercase());
            if lower_model && (known || PRISMA_ONLY.contains(&method)) && !idx.models.contains_key(recv_t) {
                return Some(mk(Orm::Prisma, method));
            }
        }
    }
    if method.starts_with("$queryRaw") && (idx.prisma.contains(recv_t) || recv_t.ends_with("prisma")) {
        return Some(mk(Orm::Prisma, method));
    }
    // Models: known ones, imported ones, `db.User`, `*Model`.
    let model_orm = idx.models.get(recv_t).copied().or_else(|| {
        let namespaced = recv.ty() == "member_expression"
            && recv.field("object").is_some_and(|o| idx.model_namespaces.contains(text(o, src)))
            && capitalized(last_name(recv, src));
        let named_model = last_name(recv, src).ends_with("Model") && last_name(recv, src).len() > 5;
        (namespaced || named_model).then_some(Orm::Model)
    });
    if let Some(orm) = model_orm {
        let orm = if orm == Orm::Model { guess_model_orm(method, idx.file_orm)? } else { orm };
        let ok = if orm == Orm::Model {
            SEQUELIZE_METHODS.contains(&method) || MONGOOSE_METHODS.contains(&method)
        } else {
            methods_of(orm).contains(&method)
        };
        return ok.then(|| mk(orm, method));
    }
    // TypeORM repositories and managers.
    let recv_last = last_name(recv, src).to_ascii_lowercase();
    let is_repo = idx.repos.contains(recv_t)
        || recv_last.ends_with("repository")
        || recv_last.ends_with("repo")
        || recv_last == "manager"
        || recv_last == "entitymanager"
        || (recv.ty() == "call_expression"
            && recv.field("function").is_some_and(|g| last_name(g, src) == "getRepository"));
    if is_repo && TYPEORM_METHODS.contains(&method) {
        return Some(mk(Orm::TypeOrm, method));
    }
    // Raw drivers: `pool.query(sql, params)`, pg-promise `db.one(sql)`.
    let sql_recv = idx.sql.contains(recv_t) || SQL_RECEIVERS.contains(&recv_last.as_str());
    if sql_recv
        && (matches!(method, "query" | "execute") || (recv_last == "db" && PG_PROMISE_METHODS.contains(&method)))
    {
        let first = call.field("arguments").and_then(|a| a.named_child(0))?;
        if matches!(first.ty(), "string" | "template_string" | "identifier" | "object" | "binary_expression") {
            return Some(mk(Orm::Sql, method));
        }
    }
    None
}

/// The top of the call chain `call` belongs to: `User.find(q).populate('a').lean()`
/// for `User.find(q)`.
pub fn chain_top(call: Node) -> Node {
    let mut top = call;
    while let Some(m) = top.up().filter(|p| p.ty() == "member_expression") {
        match m.up().filter(|c| c.ty() == "call_expression") {
            Some(c) if c.field("function") == Some(m) => top = c,
            _ => break,
        }
    }
    top
}

/// The database query issued by the chain topped by `top`, if any.
pub fn query_of<'t>(top: Node<'t>, src: &str, idx: &OrmIndex) -> Option<DbCall<'t>> {
    let mut cur = top;
    let mut writes = false;
    for _ in 0..24 {
        if cur.ty() == "call_expression" {
            if let Some(q) = recognise(cur, src, idx) {
                // Knex builders that end in a write are not the reads N+1 is about.
                return (!(writes && q.orm == Orm::Knex)).then_some(q);
            }
            let method = cur.field("function").and_then(|f| f.field("property")).map(|p| text(p, src)).unwrap_or("");
            writes |= matches!(
                method,
                "insert" | "update" | "del" | "delete" | "upsert" | "increment" | "decrement" | "merge"
            );
        }
        let next = match cur.ty() {
            "call_expression" => cur.field("function"),
            "member_expression" => cur.field("object"),
            _ => None,
        };
        match next {
            Some(n) if matches!(n.ty(), "call_expression" | "member_expression") => cur = n,
            _ => return None,
        }
    }
    None
}

/// Is the value of `top` awaited where it is: `await q`, `await (q)`,
/// `return q` / `=> q` in an async function, or inside `await Promise.all([...])`.
pub fn is_awaited(top: Node, src: &str) -> bool {
    let mut n = top;
    while let Some(p) = n.up() {
        match p.ty() {
            "parenthesized_expression" | "non_null_expression" | "as_expression" => n = p,
            "await_expression" => return true,
            "array" | "arguments" => {
                // await Promise.all([q1, q2])
                let call = if p.ty() == "array" { p.up().and_then(|a| a.up()) } else { p.up() };
                return call.is_some_and(|c| {
                    c.ty() == "call_expression"
                        && c.field("function").is_some_and(|f| text(f, src).starts_with("Promise.all"))
                        && c.up().is_some_and(|a| a.ty() == "await_expression")
                });
            }
            "for_in_statement" => return text(p, src).starts_with("for await"),
            _ => return false,
        }
    }
    false
}

/// Is `top` the value a function gives back (`x => q`, `return q`, `await q`)?
pub fn is_returned_or_awaited(top: Node, src: &str) -> bool {
    if is_awaited(top, src) {
        return true;
    }
    let mut n = top;
    while let Some(p) = n.up() {
        match p.ty() {
            "parenthesized_expression" | "non_null_expression" | "as_expression" => n = p,
            "return_statement" => return true,
            "arrow_function" => return p.field("body") == Some(n),
            _ => return false,
        }
    }
    false
}

/// Where a query repeats: a loop statement or an array-method callback.
#[derive(Debug, Clone, Copy)]
pub enum Repeat<'t> {
    /// `for`, `for…of`, `for…in`, `for await`, `while`, `do…while`.
    Loop(Node<'t>),
    /// `items.forEach(cb)`, `items.map(cb)`: (the method call, the callback, the method name).
    Callback(Node<'t>, Node<'t>, &'t str),
}

impl<'t> Repeat<'t> {
    pub fn node(&self) -> Node<'t> {
        match self {
            Repeat::Loop(n) => *n,
            Repeat::Callback(c, _, _) => *c,
        }
    }
}

const ITERATING_METHODS: &[&str] = &["forEach", "map", "flatMap", "reduce", "filter", "some", "every", "find"];

/// The nearest loop whose body holds `node` (without crossing a function
/// boundary), or the array callback `node` sits in.
pub fn repeat_of<'t>(node: Node<'t>, src: &'t str) -> Option<Repeat<'t>> {
    let mut child = node;
    let mut cur = node.up();
    while let Some(p) = cur {
        match p.ty() {
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement"
                if p.field("body") == Some(child) =>
            {
                return Some(Repeat::Loop(p));
            }
            k if is_function_kind(k) => {
                // items.forEach(async (x) => ...)
                let call = p.up().filter(|a| a.ty() == "arguments").and_then(|a| a.up())?;
                let f = call.field("function").filter(|f| f.ty() == "member_expression")?;
                let m = f.field("property")?;
                let name = crate::semantics::text(m, src);
                return ITERATING_METHODS.contains(&name).then_some(Repeat::Callback(call, p, name));
            }
            _ => {}
        }
        child = p;
        cur = p.up();
    }
    None
}

/// Names that change from one iteration to the next: the loop variables
/// (for…of/in bindings, `for (let i ...)`, callback parameters, variables
/// assigned in a while body) and every variable of the body derived from them.
pub fn iteration_names(rep: Repeat, src: &str) -> HashSet<String> {
    let mut names = HashSet::new();
    let body = match rep {
        Repeat::Loop(l) => {
            match l.ty() {
                "for_in_statement" => {
                    if let Some(left) = l.field("left") {
                        crate::semantics::js::add_pattern_names(left, src, &mut names);
                    }
                }
                "for_statement" => {
                    if let Some(init) = l.field("initializer") {
                        descendants(init, |n| {
                            if n.ty() == "variable_declarator" {
                                if let Some(name) = n.field("name") {
                                    crate::semantics::js::add_pattern_names(name, src, &mut names);
                                }
                                return false;
                            }
                            if n.ty() == "assignment_expression" {
                                if let Some(l) = n.field("left") {
                                    names.insert(text(l, src).to_string());
                                }
                            }
                            true
                        });
                    }
                }
                _ => {
                    // while / do: what the body reassigns, and what it declares
                    // from something other than a literal (`const id = queue.shift()`).
                    if let Some(b) = l.field("body") {
                        descendants(b, |n| {
                            match n.ty() {
                                "variable_declarator" => {
                                    if let (Some(name), Some(v)) = (n.field("name"), n.field("value")) {
                                        if !crate::semantics::js::is_literal(v) {
                                            crate::semantics::js::add_pattern_names(name, src, &mut names);
                                        }
                                    }
                                }
                                "assignment_expression" | "augmented_assignment_expression" => {
                                    if let Some(l) = n.field("left").filter(|l| l.ty() == "identifier") {
                                        names.insert(text(l, src).to_string());
                                    }
                                }
                                "update_expression" => {
                                    if let Some(a) = n.field("argument").filter(|a| a.ty() == "identifier") {
                                        names.insert(text(a, src).to_string());
                                    }
                                }
                                _ => {}
                            }
                            true
                        });
                    }
                }
            }
            l.field("body")
        }
        Repeat::Callback(_, f, method) => {
            let n = if method == "reduce" { 2 } else { 1 };
            for p in param_names(f, src, n).into_iter().skip(if method == "reduce" { 1 } else { 0 }) {
                if !p.is_empty() {
                    names.insert(p);
                }
            }
            // Destructured parameters: `({ id }) => ...`
            if let Some(params) = f.field("parameters") {
                if let Some(first) = params.named_child(if method == "reduce" { 1 } else { 0 }) {
                    crate::semantics::js::add_pattern_names(first, src, &mut names);
                }
            }
            f.field("body")
        }
    };
    let Some(body) = body else { return names };
    for _ in 0..3 {
        let before = names.len();
        descendants(body, |n| {
            if n.ty() == "variable_declarator" {
                if let (Some(name), Some(v)) = (n.field("name"), n.field("value")) {
                    if mentions(v, src, &names) {
                        crate::semantics::js::add_pattern_names(name, src, &mut names);
                    }
                }
            }
            true
        });
        if names.len() == before {
            break;
        }
    }
    names
}

/// Does `node` read one of `names` (as a variable, not a property name)?
pub fn mentions(node: Node, src: &str, names: &HashSet<String>) -> bool {
    let mut found = false;
    descendants(node, |n| {
        if found {
            return false;
        }
        if matches!(n.ty(), "identifier" | "shorthand_property_identifier") && names.contains(text(n, src)) {
            found = true;
        }
        true
    });
    found
}

/// A loop over a fixed list: `for (const s of ['a', 'b'])`, `for (const s of
/// STATUSES)` with a module-level array literal, `Object.keys(CONFIG)`,
/// `for (let i = 0; i < 3; i++)`, a SCREAMING_CASE constant. Repeating a query over those is bounded.
pub fn is_constant_iteration(rep: Repeat, root: Node, src: &str) -> bool {
    let iterable = match rep {
        Repeat::Loop(l) if l.ty() == "for_in_statement" => l.field("right"),
        Repeat::Loop(l) if l.ty() == "for_statement" => {
            return l.field("condition").is_some_and(|c| {
                let c = if c.ty() == "expression_statement" { c.named_child(0).unwrap_or(c) } else { c };
                c.ty() == "binary_expression" && c.field("right").is_some_and(|r| r.ty() == "number")
            });
        }
        Repeat::Loop(_) => None,
        Repeat::Callback(call, _, _) => call.field("function").and_then(|f| f.field("object")),
    };
    let Some(it) = iterable else { return false };
    constant_list(it, root, src)
}

fn constant_list(it: Node, root: Node, src: &str) -> bool {
    match it.ty() {
        "array" => true,
        "object" => true,
        "call_expression" => {
            let f = it.field("function").map(|f| text(f, src)).unwrap_or("");
            matches!(f, "Object.keys" | "Object.values" | "Object.entries")
                && it.field("arguments").and_then(|a| a.named_child(0)).is_some_and(|a| constant_list(a, root, src))
        }
        "identifier" => {
            let name = text(it, src);
            // SCREAMING_CASE names are constants by convention (often imported).
            if name.len() > 1
                && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && name.chars().any(|c| c.is_ascii_uppercase())
            {
                return true;
            }
            // a module-level `const NAME = [...]` / `{...}`
            let mut c = root.walk();
            let found = root.named_children(&mut c).any(|stmt| {
                let decl = if stmt.ty() == "export_statement" { stmt.field("declaration") } else { Some(stmt) };
                let Some(decl) = decl.filter(|d| d.ty() == "lexical_declaration") else { return false };
                let mut c2 = decl.walk();
                let r = decl.named_children(&mut c2).any(|d| {
                    d.field("name").is_some_and(|n| text(n, src) == name)
                        && d.field("value").is_some_and(|v| {
                            let v = if v.ty() == "as_expression" { v.named_child(0).unwrap_or(v) } else { v };
                            matches!(v.ty(), "array" | "object")
                        })
                });
                r
            });
            found
        }
        _ => false,
    }
}

/// A page of a paginated scan (`.skip(n)`, `.offset(n)`, `{ skip, take }`,
/// `LIMIT ... OFFSET`): one query per page is how batching works, not N+1.
pub fn is_paging(top: Node, src: &str) -> bool {
    let t = text(top, src);
    [".skip(", ".offset(", "skip:", "offset:", "cursor:", "OFFSET", "offset ", ".paginate("]
        .iter()
        .any(|p| t.contains(p))
}

/// A batched query: `whereIn`, `$in`, Prisma `{ in: ... }`, TypeORM `In(...)`,
/// `= ANY($1)`, `IN (...)`. Running one per chunk of ids is the fix, not the problem.
pub fn is_batched(top: Node, src: &str) -> bool {
    let t = text(top, src);
    [".whereIn(", ".whereNotIn(", ".orWhereIn(", "$in", "In(", "ANY(", " IN (", " in (", " in:", "{in:"]
        .iter()
        .any(|p| t.contains(p))
}

/// Does the query of the chain topped by `top` take one of `names` as a
/// *value* (a key, an id, a filter), not only as the table or column it
/// reads? `trx(joinTable.name).where(col, id)` per table is a loop over the
/// schema; `knex('users').where('id', row.userId)` per row is N+1.
pub fn value_depends(top: Node, q: &DbCall, src: &str, names: &HashSet<String>) -> bool {
    const COLUMN_METHODS: &[&str] = &[
        "select",
        "first",
        "pluck",
        "orderBy",
        "groupBy",
        "whereNotNull",
        "whereNull",
        "max",
        "min",
        "sum",
        "count",
        "distinct",
        "columns",
        "column",
        "returning",
    ];
    let mut skip: Vec<(usize, usize)> = Vec::new();
    let mut cur = top;
    loop {
        if cur.ty() != "call_expression" {
            break;
        }
        let f = cur.field("function");
        let args = cur.field("arguments");
        let method = f.and_then(|f| f.field("property")).map(|p| text(p, src)).unwrap_or("");
        let is_root = f.is_some_and(|f| f.ty() == "identifier") || cur == q.call;
        if let Some(args) = args {
            let mut c = args.walk();
            let list: Vec<Node> = args.named_children(&mut c).collect();
            let table_arg = is_root
                && (q.orm == Orm::Knex
                    || (q.orm == Orm::Sql
                        && list.first().is_some_and(|a| matches!(a.ty(), "identifier" | "member_expression"))
                        && list.len() == 1));
            if table_arg || (q.orm == Orm::Knex && COLUMN_METHODS.contains(&method)) {
                skip.extend(list.iter().map(|a| (a.start_byte(), a.end_byte())));
            } else if q.orm == Orm::Knex && method.contains("here") && list.len() >= 2 {
                skip.push((list[0].start_byte(), list[0].end_byte()));
            }
        }
        match f {
            Some(f) if f.ty() == "member_expression" => match f.field("object") {
                Some(o) => cur = o,
                None => break,
            },
            _ => break,
        }
    }
    let mut found = false;
    descendants(top, |n| {
        if found || skip.iter().any(|&(a, b)| n.start_byte() >= a && n.end_byte() <= b) {
            return false;
        }
        if n.ty() == "computed_property_name" {
            return false;
        }
        if matches!(n.ty(), "identifier" | "shorthand_property_identifier") && names.contains(text(n, src)) {
            found = true;
        }
        true
    });
    found
}

/// Does the table the chain topped by `top` reads change with `names`
/// (`knex(rel.table)`, `.from(relation.collection)`, `getRepository(e)`)?
/// Then each iteration queries another table: a loop over the schema, not
/// N+1 (one `whereIn` cannot merge queries on different tables).
pub fn table_depends(top: Node, q: &DbCall, src: &str, names: &HashSet<String>) -> bool {
    const TABLE_METHODS: &[&str] = &["from", "table", "into", "getRepository", "withSchema"];
    let mut cur = top;
    loop {
        if cur.ty() != "call_expression" {
            return false;
        }
        let f = cur.field("function");
        let method = f.and_then(|f| f.field("property")).map(|p| text(p, src)).unwrap_or("");
        let is_root = f.is_some_and(|f| f.ty() == "identifier") || (cur == q.call && q.orm == Orm::Knex);
        if is_root || TABLE_METHODS.contains(&method) {
            if let Some(first) = cur.field("arguments").and_then(|a| a.named_child(0)) {
                if mentions(first, src, names) {
                    return true;
                }
            }
        }
        match f {
            Some(f) if f.ty() == "member_expression" => match f.field("object") {
                Some(o) => cur = o,
                None => return false,
            },
            _ => return false,
        }
    }
}

/// Text of what the repetition iterates, for messages: `posts`, `req.body.ids`.
pub fn iterable_label(rep: Repeat, src: &str) -> Option<String> {
    let n = match rep {
        Repeat::Loop(l) if l.ty() == "for_in_statement" => l.field("right"),
        Repeat::Loop(_) => None,
        Repeat::Callback(call, _, _) => call.field("function").and_then(|f| f.field("object")),
    }?;
    Some(crate::finding::shorten(text(n, src)))
}
