//! NestJS providers: `@Injectable()` classes and their methods, the
//! providers a class receives through constructor (or property) injection,
//! and the calls it makes through them (`this.usersService.findAll()`).
//! The cross-file part (which controller reaches which service method) is
//! in [`super::services`].

use crate::parse::Syntax;
use crate::semantics::js::is_function_kind;
use crate::semantics::{descendants, text};
use std::collections::BTreeMap;
use tree_sitter::Node;

/// `@Injectable()` → `Injectable`, `@common.Injectable()` → `Injectable`.
pub fn decorator_name<'s>(d: Node, src: &'s str) -> &'s str {
    let t = text(d, src).trim_start_matches('@');
    let name = t.split('(').next().unwrap_or("").trim();
    name.rsplit('.').next().unwrap_or(name)
}

pub fn is_class_kind(kind: &str) -> bool {
    matches!(kind, "class_declaration" | "abstract_class_declaration")
}

/// The decorators of a class: its own and, for `@X() export class`, those
/// of the export statement.
pub fn class_decorators(class: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut c = class.walk();
    out.extend(class.children(&mut c).filter(|d| d.ty() == "decorator"));
    if let Some(p) = class.up().filter(|p| p.ty() == "export_statement") {
        let mut c = p.walk();
        out.extend(p.children(&mut c).filter(|d| d.ty() == "decorator"));
    }
    out
}

pub fn has_class_decorator(class: Node, src: &str, names: &[&str]) -> bool {
    class_decorators(class).iter().any(|d| names.contains(&decorator_name(*d, src)))
}

/// Class declarations of the file, at any depth.
pub fn classes(root: Node) -> Vec<Node> {
    let mut out = Vec::new();
    descendants(root, |n| {
        if is_class_kind(n.ty()) {
            out.push(n);
        }
        true
    });
    out
}

pub fn class_name<'s>(class: Node, src: &'s str) -> Option<&'s str> {
    class.field("name").map(|n| text(n, src))
}

/// Instance methods of a class (no constructor, no static methods).
pub fn instance_methods(class: Node) -> Vec<Node> {
    let Some(body) = class.field("body") else { return Vec::new() };
    let mut c = body.walk();
    let methods: Vec<Node> = body
        .named_children(&mut c)
        .filter(|m| m.ty() == "method_definition")
        .filter(|m| {
            let mut c2 = m.walk();
            let is_static = m.children(&mut c2).any(|x| x.ty() == "static");
            !is_static
        })
        .collect();
    methods
}

pub fn method_name<'s>(m: Node, src: &'s str) -> &'s str {
    m.field("name").map(|n| text(n, src)).unwrap_or("")
}

/// A method of an `@Injectable()` class: what may run per request when a
/// controller (of any file) calls it.
#[derive(Debug, Clone)]
pub struct ServiceMethod<'t> {
    pub class: String,
    pub method: String,
    pub node: Node<'t>,
    /// Number of parameters.
    pub params: usize,
}

/// The instance methods of the file's `@Injectable()` classes.
pub fn service_methods<'t>(root: Node<'t>, src: &str) -> Vec<ServiceMethod<'t>> {
    let mut out = Vec::new();
    for class in classes(root) {
        if !has_class_decorator(class, src, &["Injectable"]) {
            continue;
        }
        let Some(name) = class_name(class, src) else { continue };
        for m in instance_methods(class) {
            let method = method_name(m, src);
            if method == "constructor" || method.is_empty() {
                continue;
            }
            out.push(ServiceMethod {
                class: name.to_string(),
                method: method.to_string(),
                node: m,
                params: crate::semantics::js_taint::param_nodes(m).len(),
            });
        }
    }
    out
}

/// The class an `@Inject(...)` decorator names: `@Inject(UsersService)`,
/// `@Inject(forwardRef(() => UsersService))`; `None` for string tokens.
fn inject_target<'s>(d: Node, src: &'s str) -> Option<&'s str> {
    let call = d.named_child(0).filter(|c| c.ty() == "call_expression")?;
    let mut arg = call.field("arguments")?.named_child(0)?;
    if arg.ty() == "call_expression" && arg.field("function").is_some_and(|f| text(f, src) == "forwardRef") {
        let f = arg.field("arguments")?.named_child(0).filter(|f| is_function_kind(f.ty()))?;
        arg = f.field("body")?;
    }
    (arg.ty() == "identifier").then(|| text(arg, src))
}

/// The class named by a type annotation, if it is a plain class name
/// (`UsersService`, not `Repository<User>` or `string`).
fn annotated_class<'s>(node: Node, src: &'s str) -> Option<&'s str> {
    let mut c = node.walk();
    let ann = node.children(&mut c).find(|c| c.ty() == "type_annotation")?;
    let t = ann.named_child(0)?;
    (t.ty() == "type_identifier").then(|| text(t, src))
}

/// The class a parameter or field is injected as: the `@Inject(X)` target,
/// else its type annotation (`None` for `@Inject('TOKEN')` and for other
/// injection decorators such as `@InjectRepository(User)`).
fn injected_type<'s>(node: Node, src: &'s str) -> Option<&'s str> {
    let mut c = node.walk();
    let decorators: Vec<Node> = node.children(&mut c).filter(|d| d.ty() == "decorator").collect();
    if let Some(d) = decorators.iter().find(|d| decorator_name(**d, src) == "Inject") {
        return inject_target(*d, src).or_else(|| {
            // `@Inject() private readonly x: X` (property injection by type).
            let call = d.named_child(0)?;
            let args = call.field("arguments")?;
            if args.named_child_count() == 0 {
                annotated_class(node, src)
            } else {
                None
            }
        });
    }
    // Resolution modifiers keep the type; other decorators inject something
    // else (`@InjectRepository(User)`, `@InjectModel(...)`, `@Inject('TOKEN')`).
    if decorators.iter().any(|d| !matches!(decorator_name(*d, src), "Optional" | "Self" | "SkipSelf" | "Host")) {
        return None;
    }
    annotated_class(node, src)
}

/// Properties of a class that hold injected providers: constructor
/// parameter properties (`constructor(private readonly users: UsersService)`,
/// `@Inject(UsersService) private users`) and `@Inject()` fields. Property
/// name → the class name as written in the file.
pub fn injected_props(class: Node, src: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(body) = class.field("body") else { return out };
    let mut c = body.walk();
    for m in body.named_children(&mut c) {
        match m.ty() {
            "method_definition" if method_name(m, src) == "constructor" => {
                for p in crate::semantics::js_taint::param_nodes(m) {
                    if !matches!(p.ty(), "required_parameter" | "optional_parameter") {
                        continue;
                    }
                    let mut c2 = p.walk();
                    let is_property = p
                        .children(&mut c2)
                        .any(|x| matches!(x.ty(), "accessibility_modifier" | "readonly" | "override_modifier"));
                    let Some(name) = p.field("pattern").filter(|n| n.ty() == "identifier") else {
                        continue;
                    };
                    if !is_property {
                        continue;
                    }
                    if let Some(t) = injected_type(p, src) {
                        out.insert(text(name, src).to_string(), t.to_string());
                    }
                }
            }
            "public_field_definition" => {
                let mut c2 = m.walk();
                let injected = m.children(&mut c2).any(|d| d.ty() == "decorator" && decorator_name(d, src) == "Inject");
                if !injected {
                    continue;
                }
                let Some(name) = m.field("name").filter(|n| n.ty() == "property_identifier") else {
                    continue;
                };
                if let Some(t) = injected_type(m, src) {
                    out.insert(text(name, src).to_string(), t.to_string());
                }
            }
            _ => {}
        }
    }
    out
}

/// `this.<prop>.<method>(...)` with `<prop>` an injected property:
/// (the property, the method).
pub fn injected_call<'s>(call: Node, src: &'s str, props: &BTreeMap<String, String>) -> Option<(&'s str, &'s str)> {
    if call.ty() != "call_expression" {
        return None;
    }
    let f = call.field("function").filter(|f| f.ty() == "member_expression")?;
    let obj = f.field("object").filter(|o| o.ty() == "member_expression")?;
    if obj.field("object")?.ty() != "this" {
        return None;
    }
    let prop = text(obj.field("property")?, src);
    let method = f.field("property").filter(|p| p.ty() == "property_identifier")?;
    props.contains_key(prop).then(|| (prop, text(method, src)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, Lang};
    use std::time::Duration;

    const SRC: &str = r#"
import { Inject, Injectable, forwardRef } from "@nestjs/common";
@Injectable()
export class UsersService {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(forwardRef(() => PostsService)) private posts: PostsService,
    @Inject("CONFIG") private readonly config: Config,
    @InjectRepository(User) private repo: Repository<User>,
    @InjectModel(Job.name) private jobs: JobService,
    @Optional() private readonly tracer?: Tracer,
    readonly mailer: Mailer,
    plain: Logger,
  ) {}
  @Inject() private readonly audit: AuditService;
  @Inject(CacheService) private cache;
  async findAll(a, { b }) { return this.posts.byAuthor(a); }
  static create() {}
}
class NotInjectable { run() {} }
"#;

    #[test]
    fn finds_service_methods_and_injected_properties() {
        let tree = parse(Lang::TypeScript, SRC, Duration::from_secs(1)).unwrap();
        let root = tree.root_node();
        let methods = service_methods(root, SRC);
        let names: Vec<(&str, &str, usize)> =
            methods.iter().map(|m| (m.class.as_str(), m.method.as_str(), m.params)).collect();
        assert_eq!(names, vec![("UsersService", "findAll", 2)]);
        let class = classes(root)[0];
        let props = injected_props(class, SRC);
        let got: Vec<(&str, &str)> = props.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("audit", "AuditService"),
                ("cache", "CacheService"),
                ("mailer", "Mailer"),
                ("posts", "PostsService"),
                ("prisma", "PrismaService"),
                ("tracer", "Tracer"),
            ]
        );
        let mut calls = Vec::new();
        descendants(root, |n| {
            if let Some(c) = injected_call(n, SRC, &props) {
                calls.push(c);
            }
            true
        });
        assert_eq!(calls, vec![("posts", "byAuthor")]);
    }
}
