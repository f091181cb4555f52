//! How an application is run: the commands of Procfiles, Dockerfiles
//! (CMD/ENTRYPOINT, the base image), docker-compose services and
//! package.json scripts, classified by the server they start (WSGI or ASGI
//! for Django, `node` with or without the permission model).
//!
//! Compose files are read by a small, conservative reader of the subset of
//! YAML compose files use for `build`, `command`, `entrypoint` and `image`
//! (inline and block scalars, flow and block sequences): a full YAML parser
//! would add a dependency for four keys.

use serde::Serialize;

/// A command that starts part of an application.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Command {
    /// The file it is written in, relative to the report root.
    pub path: String,
    pub line: u32,
    /// `Procfile web`, `Dockerfile CMD`, `docker-compose service api`,
    /// `package.json scripts.start`.
    pub origin: String,
    pub command: String,
    /// Compose build context (relative to the report root), which names
    /// the application a root-level compose service belongs to.
    #[serde(skip)]
    pub context: Option<String>,
}

/// How a server runs a Django (or other Python) application, or a Node one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// A synchronous WSGI server (gunicorn sync/threads workers, uWSGI,
    /// waitress, mod_wsgi).
    Wsgi,
    /// WSGI with green-thread workers (gevent, eventlet).
    WsgiAsyncWorkers,
    /// An ASGI server (uvicorn, daphne, hypercorn, gunicorn with uvicorn
    /// workers, granian --interface asgi).
    Asgi,
    /// A Node process.
    Node,
    /// A development server (`manage.py runserver`, nodemon).
    Dev,
    /// A background worker (celery, rq, dramatiq).
    Worker,
}

impl Model {
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Wsgi => "wsgi",
            Model::WsgiAsyncWorkers => "wsgi-async-workers",
            Model::Asgi => "asgi",
            Model::Node => "node",
            Model::Dev => "dev",
            Model::Worker => "worker",
        }
    }
}

/// What a command starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUse {
    pub server: String,
    pub model: Model,
    /// `shop.wsgi:application`, `src/server.js`, a package.json script name.
    pub target: Option<String>,
    /// Node permission-model flags present (`--permission`, `--allow-*`).
    pub permission: bool,
    /// `npm start`, `yarn run serve`: the script it runs.
    pub script: Option<String>,
}

const PERMISSION_FLAGS: &[&str] =
    &["--permission", "--experimental-permission", "--allow-fs-read", "--allow-fs-write", "--allow-net"];

fn tokens(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in cmd.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn base(tok: &str) -> &str {
    tok.rsplit('/').next().unwrap_or(tok)
}

/// Classifies every server a command line starts (`a && b`, `sh -c "..."`
/// included).
pub fn classify(cmd: &str) -> Vec<ServerUse> {
    let mut out = Vec::new();
    let permission_env = cmd.contains("NODE_OPTIONS") && PERMISSION_FLAGS.iter().any(|f| cmd.contains(f));
    for segment in cmd.split(['&', ';', '|', '\n']) {
        let toks = tokens(segment);
        if let Some(mut s) = classify_segment(&toks) {
            s.permission |= permission_env && s.model == Model::Node;
            out.push(s);
        } else if let Some(i) = toks.iter().position(|t| t == "-c") {
            // `sh -c "gunicorn ..."`: the quoted command is one token.
            if let Some(inner) = toks.get(i + 1) {
                out.extend(classify(inner));
            }
        }
    }
    out
}

fn classify_segment(toks: &[String]) -> Option<ServerUse> {
    let flag_value = |names: &[&str]| -> Option<String> {
        for (i, t) in toks.iter().enumerate() {
            for n in names {
                if t == n {
                    return toks.get(i + 1).cloned();
                }
                if let Some(v) = t.strip_prefix(&format!("{n}=")) {
                    return Some(v.to_string());
                }
                if n.len() == 2 && t.starts_with(n) && t.len() > 2 && !t.starts_with("--") {
                    return Some(t[2..].to_string());
                }
            }
        }
        None
    };
    let positional_after = |i: usize| -> Option<String> {
        let mut skip_next = false;
        for t in &toks[i + 1..] {
            if skip_next {
                skip_next = false;
                continue;
            }
            if t.starts_with('-') {
                // Options taking a separate value.
                skip_next = !t.contains('=')
                    && matches!(
                        t.as_str(),
                        "-b" | "--bind"
                            | "-w"
                            | "--workers"
                            | "-k"
                            | "--worker-class"
                            | "-c"
                            | "--config"
                            | "--host"
                            | "--port"
                            | "-p"
                            | "--threads"
                            | "--timeout"
                            | "-t"
                            | "--log-level"
                            | "--chdir"
                            | "--name"
                            | "-n"
                            | "-i"
                            | "--instances"
                            | "--interface"
                            | "-e"
                            | "--env"
                    );
                continue;
            }
            if t.contains('=') && !t.contains(':') {
                continue;
            }
            return Some(t.clone());
        }
        None
    };
    for (i, t) in toks.iter().enumerate() {
        let b = base(t);
        let use_of = |server: &str, model: Model, target: Option<String>| {
            Some(ServerUse { server: server.into(), model, target, permission: false, script: None })
        };
        match b {
            "gunicorn" => {
                let worker = flag_value(&["-k", "--worker-class"]).unwrap_or_default();
                let model = if worker.contains("uvicorn") || worker.contains("Uvicorn") {
                    Model::Asgi
                } else if worker.contains("gevent") || worker.contains("eventlet") {
                    Model::WsgiAsyncWorkers
                } else {
                    Model::Wsgi
                };
                return use_of("gunicorn", model, positional_after(i));
            }
            "uwsgi" => {
                let gevent = toks.iter().any(|t| t.starts_with("--gevent"));
                let target = flag_value(&["--module", "--wsgi-file", "-w"]);
                return use_of("uwsgi", if gevent { Model::WsgiAsyncWorkers } else { Model::Wsgi }, target);
            }
            "waitress-serve" => return use_of("waitress", Model::Wsgi, positional_after(i)),
            "mod_wsgi-express" => return use_of("mod_wsgi", Model::Wsgi, positional_after(i)),
            "uvicorn" | "daphne" | "hypercorn" => return use_of(b, Model::Asgi, positional_after(i)),
            "granian" => {
                let iface = flag_value(&["--interface"]).unwrap_or_default();
                let target = positional_after(i);
                let asgi = iface == "asgi" || target.as_deref().is_some_and(|t| t.contains("asgi"));
                return use_of("granian", if asgi { Model::Asgi } else { Model::Wsgi }, target);
            }
            "manage.py" => {
                let sub = toks.get(i + 1).map(String::as_str).unwrap_or("");
                match sub {
                    "runserver" => return use_of("runserver", Model::Dev, None),
                    "runworker" => return use_of("channels runworker", Model::Asgi, None),
                    "rqworker" | "qcluster" | "db_worker" => return use_of(sub, Model::Worker, None),
                    _ => {}
                }
            }
            "celery" | "rq" | "dramatiq" | "huey_consumer" | "huey_consumer.py" => {
                let sub = toks[i + 1..].iter().find(|t| matches!(t.as_str(), "worker" | "beat")).cloned();
                if b != "celery" || sub.is_some() {
                    return use_of(b, Model::Worker, sub);
                }
            }
            "node" | "nodejs" | "ts-node" | "tsx" | "bun" => {
                let permission = toks[i + 1..].iter().any(|t| PERMISSION_FLAGS.iter().any(|f| t.starts_with(f)));
                let target = toks[i + 1..].iter().find(|t| !t.starts_with('-')).cloned();
                if target.as_deref().is_some_and(|t| t.contains("nodemon")) {
                    return use_of("nodemon", Model::Dev, None);
                }
                return Some(ServerUse { server: b.into(), model: Model::Node, target, permission, script: None });
            }
            "pm2" | "pm2-runtime" => {
                let permission = toks.iter().any(|t| PERMISSION_FLAGS.iter().any(|f| t.contains(f)));
                let target = positional_after(i).filter(|t| t != "start");
                let target = if target.is_none() { toks.get(i + 2).cloned() } else { target };
                return Some(ServerUse { server: "pm2".into(), model: Model::Node, target, permission, script: None });
            }
            "nodemon" => return use_of("nodemon", Model::Dev, positional_after(i)),
            "next" | "nest" | "remix-serve" | "nuxt" | "sails" => {
                let sub = toks.get(i + 1).map(String::as_str).unwrap_or("");
                if matches!(sub, "start" | "lift" | "") || b == "remix-serve" {
                    return use_of(b, Model::Node, None);
                }
                if sub == "dev" {
                    return use_of(b, Model::Dev, None);
                }
            }
            "npm" | "yarn" | "pnpm" => {
                let rest: Vec<&str> =
                    toks[i + 1..].iter().map(String::as_str).filter(|t| !t.starts_with('-')).collect();
                let script = match rest.as_slice() {
                    ["start", ..] => Some("start"),
                    ["run" | "run-script", s, ..] => Some(*s),
                    [s, ..] if b != "npm" && !matches!(*s, "install" | "add" | "ci" | "build") => Some(*s),
                    _ => None,
                };
                if let Some(s) = script {
                    return Some(ServerUse {
                        server: b.into(),
                        model: Model::Node,
                        target: None,
                        permission: false,
                        script: Some(s.to_string()),
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// `web: gunicorn shop.wsgi` lines.
pub fn parse_procfile(rel: &str, text: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('#') {
            continue;
        }
        if let Some((name, cmd)) = l.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                out.push(Command {
                    path: rel.into(),
                    line: i as u32 + 1,
                    origin: format!("Procfile {name}"),
                    command: cmd.trim().to_string(),
                    context: None,
                });
            }
        }
    }
    out
}

/// What a Dockerfile says: its start commands, the runtime image of the
/// final stage, and a NODE_OPTIONS it sets.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    pub commands: Vec<Command>,
    /// Image of the last `FROM`, with its line (`node:22-alpine`).
    pub image: Option<(String, u32)>,
    pub node_options: Option<String>,
}

pub fn parse_dockerfile(rel: &str, text: &str) -> Dockerfile {
    let mut out = Dockerfile::default();
    let mut logical: Vec<(u32, String)> = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if t.starts_with('#') && pending.is_none() {
            continue;
        }
        let (start, mut acc) = pending.take().unwrap_or((i as u32 + 1, String::new()));
        if let Some(cont) = t.strip_suffix('\\') {
            acc.push_str(cont);
            acc.push(' ');
            pending = Some((start, acc));
        } else {
            acc.push_str(t);
            logical.push((start, acc));
        }
    }
    logical.extend(pending);
    for (line, l) in logical {
        let (instr, rest) = l.split_once(char::is_whitespace).unwrap_or((&l, ""));
        let rest = rest.trim();
        match instr.to_ascii_uppercase().as_str() {
            "FROM" => {
                let image = rest.split_whitespace().find(|t| !t.starts_with("--")).unwrap_or("").to_string();
                out.image = Some((image, line));
            }
            "CMD" | "ENTRYPOINT" => {
                let command = match serde_json::from_str::<Vec<String>>(rest) {
                    Ok(parts) => parts.join(" "),
                    Err(_) => rest.to_string(),
                };
                out.commands.push(Command {
                    path: rel.into(),
                    line,
                    origin: format!("{} {}", rel.rsplit('/').next().unwrap_or(rel), instr.to_ascii_uppercase()),
                    command,
                    context: None,
                });
            }
            "ENV" if rest.contains("NODE_OPTIONS") => out.node_options = Some(rest.to_string()),
            _ => {}
        }
    }
    out
}

/// A service of a compose file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeService {
    pub name: String,
    pub line: u32,
    pub build: Option<String>,
    pub image: Option<String>,
    /// (key, value, line) for `command` and `entrypoint`.
    pub commands: Vec<(String, String, u32)>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let s = s.split(" #").next().unwrap_or(s).trim();
    s.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// `[a, "b c"]` → "a b c".
fn flow_sequence(s: &str) -> String {
    s.trim().trim_start_matches('[').trim_end_matches(']').split(',').map(unquote).collect::<Vec<_>>().join(" ")
}

pub fn parse_compose(text: &str) -> Vec<ComposeService> {
    let lines: Vec<&str> = text.lines().collect();
    let mut services = Vec::new();
    let mut i = 0;
    // Find `services:` at the top level.
    while i < lines.len() && !(indent(lines[i]) == 0 && lines[i].trim_end() == "services:") {
        i += 1;
    }
    i += 1;
    let mut service_indent = None;
    let mut current: Option<ComposeService> = None;
    let mut key_indent = None;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        let ind = indent(line);
        if ind == 0 {
            break;
        }
        let si = *service_indent.get_or_insert(ind);
        if ind == si {
            services.extend(current.take());
            current = Some(ComposeService {
                name: t.trim_end_matches(':').trim_matches(|c| c == '"' || c == '\'').to_string(),
                line: i as u32 + 1,
                ..Default::default()
            });
            key_indent = None;
            i += 1;
            continue;
        }
        let Some(svc) = current.as_mut() else {
            i += 1;
            continue;
        };
        let ki = *key_indent.get_or_insert(ind);
        if ind != ki {
            i += 1;
            continue;
        }
        let (key, value) = t.split_once(':').map(|(k, v)| (k.trim(), v.trim())).unwrap_or((t, ""));
        let start_line = i as u32 + 1;
        // Collects the lines nested under this key.
        let mut block = Vec::new();
        let mut j = i + 1;
        while j < lines.len() && (lines[j].trim().is_empty() || indent(lines[j]) > ki) {
            if !lines[j].trim().is_empty() && !lines[j].trim().starts_with('#') {
                block.push(lines[j].trim());
            }
            j += 1;
        }
        match key {
            "build" => {
                if value.is_empty() {
                    svc.build = block.iter().find_map(|l| l.strip_prefix("context:")).map(unquote);
                } else {
                    svc.build = Some(unquote(value));
                }
            }
            "image" => svc.image = Some(unquote(value)),
            "command" | "entrypoint" => {
                let v = if value.starts_with('[') {
                    flow_sequence(value)
                } else if value.is_empty() {
                    block.iter().map(|l| unquote(l.trim_start_matches("- "))).collect::<Vec<_>>().join(" ")
                } else if matches!(value.chars().next(), Some('>' | '|')) {
                    block.join(" ")
                } else {
                    unquote(value)
                };
                svc.commands.push((key.to_string(), v, start_line));
            }
            _ => {}
        }
        i = j;
    }
    services.extend(current);
    services
}

/// The compose services' start commands, with their build contexts
/// resolved against the compose file's directory (relative to the report
/// root).
pub fn compose_commands(rel: &str, text: &str) -> (Vec<Command>, Vec<ComposeService>) {
    let dir = rel.rsplit_once('/').map(|x| x.0).unwrap_or("");
    let services = parse_compose(text);
    let mut out = Vec::new();
    for s in &services {
        let context = s.build.as_ref().map(|b| join_rel(dir, b));
        for (key, cmd, line) in &s.commands {
            out.push(Command {
                path: rel.into(),
                line: *line,
                origin: format!("compose {}.{key}", s.name),
                command: cmd.clone(),
                context: context.clone(),
            });
        }
    }
    (out, services)
}

/// `dir` + `./sub/../x` → normalised relative path ("" for the root).
/// The security headers a web-server or proxy config sets, with their
/// lines: nginx `add_header`, Apache `Header set|always set|append`, Caddy
/// `header`, HAProxy `http-response set-header`. Comments are skipped.
pub fn proxy_security_headers(text: &str) -> Vec<(u32, String)> {
    const HEADERS: &[&str] =
        &["content-security-policy", "x-frame-options", "strict-transport-security", "x-content-type-options"];
    const DIRECTIVES: &[&str] = &["add_header", "more_set_headers", "header", "http-response"];
    let mut out = Vec::new();
    let mut in_caddy_header_block = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let first = lower.split_whitespace().next().unwrap_or("");
        // Caddy: `header {` opens a block of `Name value` lines.
        if first == "header" && lower.ends_with('{') {
            in_caddy_header_block = true;
            continue;
        }
        if in_caddy_header_block && lower.starts_with('}') {
            in_caddy_header_block = false;
            continue;
        }
        let directive = DIRECTIVES.contains(&first) || in_caddy_header_block;
        if !directive {
            continue;
        }
        if let Some(h) = HEADERS.iter().find(|h| lower.contains(*h)) {
            out.push((i as u32 + 1, h.to_string()));
        }
    }
    out
}

pub fn join_rel(dir: &str, p: &str) -> String {
    let mut parts: Vec<&str> = if dir.is_empty() { Vec::new() } else { dir.split('/').collect() };
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// `node:22-alpine` → 22; `python:3.12-slim` → None.
pub fn node_major_of_image(image: &str) -> Option<u64> {
    let (name, tag) = image.rsplit_once(':')?;
    if base(name) != "node" {
        return None;
    }
    tag.split(['.', '-']).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(cmd: &str) -> ServerUse {
        let v = classify(cmd);
        assert_eq!(v.len(), 1, "{cmd}: {v:?}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn classifies_servers() {
        assert_eq!(one("gunicorn shop.wsgi:application --bind 0.0.0.0:8000 -w 4").model, Model::Wsgi);
        assert_eq!(one("gunicorn shop.wsgi:application").target.as_deref(), Some("shop.wsgi:application"));
        assert_eq!(one("gunicorn -k uvicorn.workers.UvicornWorker config.asgi:application").model, Model::Asgi);
        assert_eq!(one("gunicorn --worker-class=gevent app.wsgi").model, Model::WsgiAsyncWorkers);
        assert_eq!(one("python -m uvicorn config.asgi:application").model, Model::Asgi);
        assert_eq!(one("daphne -b 0.0.0.0 proj.asgi:application").target.as_deref(), Some("proj.asgi:application"));
        assert_eq!(one("python manage.py runserver 0.0.0.0:8000").model, Model::Dev);
        assert_eq!(one("celery -A proj worker -l info").model, Model::Worker);
        assert_eq!(one("celery -A proj beat").target.as_deref(), Some("beat"));
        let n = one("node --permission --allow-fs-read=./data src/server.js");
        assert!(n.permission && n.model == Model::Node);
        assert_eq!(n.target.as_deref(), Some("src/server.js"));
        assert!(!one("node src/server.js").permission);
        assert_eq!(one("npm start").script.as_deref(), Some("start"));
        assert_eq!(one("yarn run serve").script.as_deref(), Some("serve"));
        assert!(one("NODE_OPTIONS=--permission node server.js").permission);
        let both = classify("python manage.py migrate && gunicorn shop.wsgi");
        assert_eq!(both.len(), 1);
        assert_eq!(
            classify("sh -c \"python manage.py migrate && daphne proj.asgi:application\"")[0].model,
            Model::Asgi
        );
    }

    #[test]
    fn reads_dockerfiles_and_procfiles() {
        let d = parse_dockerfile(
            "gw/Dockerfile",
            "FROM node:22-alpine AS build\nRUN npm ci\nFROM node:22-alpine\nENV NODE_OPTIONS=\"--permission\"\nCMD [\"node\", \"--permission\", \\\n  \"src/server.js\"]\n",
        );
        assert_eq!(d.image.as_ref().unwrap().0, "node:22-alpine");
        assert_eq!(d.commands[0].command, "node --permission src/server.js");
        assert_eq!(d.commands[0].line, 5);
        assert!(d.node_options.is_some());
        assert_eq!(node_major_of_image("node:22-alpine"), Some(22));
        let p = parse_procfile("Procfile", "web: gunicorn shop.wsgi --log-file -\nworker: celery -A shop worker\n");
        let nginx = "server {\n  # add_header X-Frame-Options DENY;\n  add_header Strict-Transport-Security \"max-age=31536000\" always;\n  location / { proxy_pass http://app; }\n}\n";
        assert_eq!(proxy_security_headers(nginx), vec![(3, "strict-transport-security".to_string())]);
        let caddy = "example.com {\n  header {\n    Content-Security-Policy \"default-src 'self'\"\n  }\n  reverse_proxy app:3000\n}\n";
        assert_eq!(proxy_security_headers(caddy), vec![(3, "content-security-policy".to_string())]);
        assert!(proxy_security_headers("proxy_pass http://app;\nset $x-frame-options 1;\n").is_empty());
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].origin, "Procfile worker");
    }

    #[test]
    fn reads_compose_services() {
        let text = "version: '3.9'\nservices:\n  gateway:\n    build: ./gateway\n    command: [\"node\", \"--permission\", \"src/server.js\"]\n    ports:\n      - \"3000:3000\"\n  api:\n    build:\n      context: ./service\n      dockerfile: Dockerfile\n    command: >\n      gunicorn core.wsgi:application\n      --bind 0.0.0.0:8000\n  worker:\n    image: python:3.12\n    entrypoint:\n      - celery\n      - -A\n      - core\n      - worker\nvolumes:\n  data: {}\n";
        let (cmds, services) = compose_commands("deploy/docker-compose.yml", text);
        assert_eq!(services.len(), 3);
        assert_eq!(services[1].build.as_deref(), Some("./service"));
        assert_eq!(cmds[0].context.as_deref(), Some("deploy/gateway"));
        assert_eq!(cmds[1].command, "gunicorn core.wsgi:application --bind 0.0.0.0:8000");
        assert_eq!(cmds[1].line, 12);
        assert_eq!(cmds[2].command, "celery -A core worker");
        assert_eq!(join_rel("", "./gateway"), "gateway");
        assert_eq!(join_rel("deploy", "../svc"), "svc");
    }
}
