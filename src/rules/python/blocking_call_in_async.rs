//! `python/blocking-call-in-async`: blocking calls (sleep, sync HTTP,
//! subprocess, file and socket I/O) directly inside `async def`.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::{Edit, Fix};
use crate::parse::Syntax;
use crate::semantics::is_async;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "python/blocking-call-in-async"
languages = ["python"]
severity = "warning"
category = "concurrency"
confidence = "high"
prefilter = ["async def"]
summary = "Blocking call (time.sleep, requests, subprocess, open, socket) inside async def"

[docs]
what = """
Flags calls that block the thread when made directly in an `async def` (async views, Channels
consumers, async middleware, any coroutine): `time.sleep`, `requests.*` and `requests.Session`,
`urllib.request.urlopen`, `httpx.Client` and the module-level `httpx.get`/`post`/...,
`subprocess.run`/`call`/`check_call`/`check_output`, `os.system`, `open(...)`, and synchronous
`socket` helpers (`create_connection`, `getaddrinfo`, `gethostbyname`). Imports and aliases are
resolved, so `from time import sleep` is caught and a local `def sleep` is not. Calls made inside a
nested plain `def` or `lambda`, or handed to `asyncio.to_thread`, `loop.run_in_executor` or
`sync_to_async` (passed, not called), are fine. The message names the async counterpart.
"""
why = """
An event loop runs every coroutine of the worker on one thread. A blocking call stops all of them:
while one view sleeps for a second or waits for a slow upstream API, every other request and
websocket on that worker waits too, and throughput collapses to one request at a time. This is
the main way async Django ends up slower than the sync version.
"""
example = '''
async def weather(request):
    r = requests.get("https://api.example.com/weather", timeout=5)
    return JsonResponse(r.json())
'''
fix = '''
Use the async counterpart, or move the blocking work to a thread:

    async with httpx.AsyncClient(timeout=5) as client:
        r = await client.get("https://api.example.com/weather")
    await asyncio.sleep(1)
    proc = await asyncio.create_subprocess_exec("convert", src, dst)
    data = await asyncio.to_thread(Path(path).read_bytes)
'''
references = [
  "https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code",
  "https://docs.djangoproject.com/en/stable/topics/async/",
  "https://www.python-httpx.org/async/",
]
guidance = ["G5"]

[[examples]]
invalid = '''
import time

async def poll(request):
    time.sleep(1)
    return HttpResponse("ok")
'''
valid = '''
import asyncio

async def poll(request):
    await asyncio.sleep(1)
    return HttpResponse("ok")
'''

[[examples]]
invalid = '''
import requests

class PriceConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data):
        quote = requests.get("https://quotes.example.com/" + text_data, timeout=3).json()
        await self.send(text_data=quote["price"])
'''
valid = '''
import asyncio
import requests

async def fetch(url):
    return await asyncio.to_thread(requests.get, url, timeout=3)

def sync_fetch(url):
    return requests.get(url, timeout=3)
'''

[[examples]]
invalid = '''
from subprocess import run as run_cmd

async def thumbnail(request, name):
    run_cmd(["convert", name, "thumb.png"], check=True)
'''
valid = '''
async def thumbnail(request, name):
    def sleep(x):
        return x
    return sleep(1)
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call"], node: Some(check), ..CodeRule::EMPTY };

/// Blocking callables and what to use instead.
const BLOCKING: &[(&str, &str)] = &[
    ("time.sleep", "await asyncio.sleep(...)"),
    ("requests.get", "httpx.AsyncClient (await client.get(...))"),
    ("requests.post", "httpx.AsyncClient (await client.post(...))"),
    ("requests.put", "httpx.AsyncClient (await client.put(...))"),
    ("requests.patch", "httpx.AsyncClient (await client.patch(...))"),
    ("requests.delete", "httpx.AsyncClient (await client.delete(...))"),
    ("requests.head", "httpx.AsyncClient (await client.head(...))"),
    ("requests.options", "httpx.AsyncClient (await client.options(...))"),
    ("requests.request", "httpx.AsyncClient (await client.request(...))"),
    ("requests.Session", "httpx.AsyncClient"),
    ("requests.session", "httpx.AsyncClient"),
    ("urllib.request.urlopen", "httpx.AsyncClient or aiohttp"),
    ("httpx.Client", "httpx.AsyncClient"),
    ("httpx.get", "httpx.AsyncClient (await client.get(...))"),
    ("httpx.post", "httpx.AsyncClient (await client.post(...))"),
    ("httpx.put", "httpx.AsyncClient (await client.put(...))"),
    ("httpx.patch", "httpx.AsyncClient (await client.patch(...))"),
    ("httpx.delete", "httpx.AsyncClient (await client.delete(...))"),
    ("httpx.request", "httpx.AsyncClient (await client.request(...))"),
    ("subprocess.run", "await asyncio.create_subprocess_exec(...)"),
    ("subprocess.call", "await asyncio.create_subprocess_exec(...)"),
    ("subprocess.check_call", "await asyncio.create_subprocess_exec(...)"),
    ("subprocess.check_output", "await asyncio.create_subprocess_exec(..., stdout=PIPE)"),
    ("subprocess.getoutput", "await asyncio.create_subprocess_shell(...)"),
    ("os.system", "await asyncio.create_subprocess_shell(...)"),
    ("builtins.open", "await asyncio.to_thread(...) around the file work, or aiofiles"),
    ("socket.create_connection", "await asyncio.open_connection(...)"),
    ("socket.getaddrinfo", "await loop.getaddrinfo(...)"),
    ("socket.gethostbyname", "await loop.getaddrinfo(...)"),
    ("socket.gethostbyaddr", "await asyncio.to_thread(socket.gethostbyaddr, ...)"),
];

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(func) = ctx.enclosing_function(call) else { return };
    if func.ty() != "function_definition" || !is_async(func) {
        return;
    }
    let Some(f) = call.field("function") else { return };
    if !matches!(f.ty(), "identifier" | "attribute") {
        return;
    }
    let Some(q) = ctx.qualified_name(f) else { return };
    let Some((_, instead)) = BLOCKING.iter().find(|(b, _)| *b == q) else { return };
    let what = q.strip_prefix("builtins.").unwrap_or(&q).to_string();
    let message = format!(
        "{what}() blocks the event loop inside `async def`: every other request on this worker waits until it \
         returns; use {instead}"
    );
    // `time.sleep(x)` → `await asyncio.sleep(x)` when asyncio is imported.
    let fix =
        (q == "time.sleep" && ctx.bindings().imports.get("asyncio").is_some_and(|m| m == "asyncio")).then(|| Fix {
            description: "await asyncio.sleep() instead".into(),
            edits: vec![Edit {
                path: ctx.rel.to_string(),
                span: ctx.src.span(f.start_byte(), f.end_byte()),
                replacement: "await asyncio.sleep".into(),
            }],
        });
    let r = ctx.report(call, message);
    r.fix = fix;
}
