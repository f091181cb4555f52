//! `python/unsafe-deserialization`: pickle/marshal/dill/jsonpickle loads
//! and `yaml.load` without a safe loader. Error on request data.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::shorten;
use crate::finding::{Confidence, Severity};
use crate::parse::Syntax;
use crate::semantics::python;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "python/unsafe-deserialization"
languages = ["python"]
severity = "warning"
category = "security"
tags = ["injection"]
confidence = "low"
prefilter = ["pickle", "cPickle"]
prefilter-words = ["marshal", "yaml", "dill", "joblib", "torch"]
summary = "pickle/marshal loads or yaml.load without a safe loader"

[docs]
what = """
Flags deserialisers that can run code: `pickle.loads` (and `cPickle`, `_pickle`, `dill`),
`marshal.loads`, `jsonpickle.decode`, `yaml.unsafe_load`, and `yaml.load`/`yaml.load_all`
without a data-only loader (`SafeLoader`, `BaseLoader`, or `FullLoader`, which since PyYAML 5.4
constructs no Python objects that run code). It is an error
when request data (`request.body`, `request.FILES[...]`, `request.POST[...]`, ...) reaches the
call, a warning for other non-constant input. Loaders of files and models (`pickle.load`,
`joblib.load`, `pandas.read_pickle`, `torch.load` without `weights_only=True`) are flagged only
when request data reaches them.
"""
why = """
A pickle is a program for the unpickler: `__reduce__` lets the payload call any function, e.g.
`os.system`, during loading. `yaml.load` with `yaml.Loader`/`UnsafeLoader` (or, before PyYAML
5.4, the default loader) can likewise build arbitrary Python objects. Whoever controls the bytes controls the process; data from a cache or
a queue is only as trustworthy as everyone who can write there.
"""
example = '''
def import_cart(request):
    cart = pickle.loads(base64.b64decode(request.POST["cart"]))
'''
fix = '''
Use a data-only format: `json.loads`, `yaml.safe_load` (or `yaml.load(data, Loader=yaml.SafeLoader)`),
or Django's `signing.loads` for values that must round-trip through the client. If pickle is
unavoidable between your own services, sign the payload (`hmac`) and verify it before loading.
'''
references = [
  "https://docs.python.org/3/library/pickle.html#module-pickle",
  "https://pyyaml.org/wiki/PyYAMLDocumentation",
  "https://docs.djangoproject.com/en/stable/topics/signing/",
  "https://cwe.mitre.org/data/definitions/502.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
import base64
import pickle

def import_cart(request):
    return pickle.loads(base64.b64decode(request.POST["cart"]))
'''
valid = '''
import json

def import_cart(request):
    return json.loads(request.POST["cart"])
'''

[[examples]]
invalid = '''
import yaml

def load_config(path):
    with open(path) as f:
        return yaml.load(f)
'''
valid = '''
import yaml

def load_config(path):
    with open(path) as f:
        return yaml.load(f, Loader=yaml.SafeLoader)
'''

[[examples]]
invalid = '''
import joblib

def predict(request):
    model = joblib.load(request.FILES["model"])
    return model.predict([[1, 2]])
'''
valid = '''
import joblib

MODEL = joblib.load("models/churn.joblib")
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call"], node: Some(check), ..CodeRule::EMPTY };

/// Loaders of bytes that may run code: flagged on any non-constant input.
const CODE_LOADERS: &[&str] = &[
    "pickle.loads",
    "cPickle.loads",
    "_pickle.loads",
    "dill.loads",
    "marshal.loads",
    "jsonpickle.decode",
    "yaml.unsafe_load",
    "yaml.unsafe_load_all",
];
/// File and model loaders: flagged only on request data.
const FILE_LOADERS: &[&str] = &[
    "pickle.load",
    "cPickle.load",
    "_pickle.load",
    "pickle.Unpickler",
    "dill.load",
    "marshal.load",
    "joblib.load",
    "pandas.read_pickle",
    "torch.load",
];
/// Loaders that build only plain data. `FullLoader` refuses
/// `!!python/object/apply` and friends since PyYAML 5.4 (CVE-2020-14343).
const SAFE_YAML_LOADERS: &[&str] = &[
    "yaml.SafeLoader",
    "yaml.CSafeLoader",
    "yaml.BaseLoader",
    "yaml.CBaseLoader",
    "yaml.loader.SafeLoader",
    "yaml.FullLoader",
    "yaml.CFullLoader",
    "yaml.loader.FullLoader",
];

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    if !matches!(f.ty(), "identifier" | "attribute") {
        return;
    }
    let Some(q) = ctx.qualified_name(f) else { return };
    let Some(arg) = python::positional_args(call).first().copied() else { return };
    let kwargs = python::keyword_args(&ctx.src.text, call);
    let always = if CODE_LOADERS.contains(&q.as_str()) {
        true
    } else if q == "yaml.load" || q == "yaml.load_all" {
        // `yaml.load(stream, **options)`: the loader may be among the options.
        if has_splat(call) {
            return;
        }
        // The loader: second positional argument or `Loader=`.
        let loader = python::positional_args(call)
            .get(1)
            .copied()
            .or_else(|| kwargs.iter().find(|(k, _)| k == "Loader").map(|(_, v)| *v));
        match loader {
            None => true,
            Some(l) => match ctx.qualified_name(l) {
                Some(lq) if SAFE_YAML_LOADERS.contains(&lq.as_str()) => return,
                // A loader we cannot resolve (a local subclass): not judged.
                None => return,
                Some(_) => true,
            },
        }
    } else if FILE_LOADERS.contains(&q.as_str()) {
        if q == "torch.load" && kwargs.iter().any(|(k, v)| k == "weights_only" && v.ty() == "true") {
            return;
        }
        false
    } else {
        return;
    };
    if python::is_literal(arg) {
        return;
    }
    let tainted = ctx.is_request_data(arg);
    if !tainted && !always {
        return;
    }
    let callee = ctx.text(f).to_string();
    let message = if tainted {
        format!(
            "{callee}() deserialises request data (`{}`): a crafted payload runs code in the web process; use json or \
             yaml.safe_load, or django.core.signing for round-trips",
            shorten(ctx.text(arg))
        )
    } else {
        format!(
            "{callee}() can run code embedded in `{}`: safe only if nobody else can ever write that data; prefer json \
             or yaml.safe_load",
            shorten(ctx.text(arg))
        )
    };
    // Request data: an error, high confidence. Data from a store others can
    // write (a cache, a queue, an HTTP response): medium, whoever writes it
    // runs code. Anything else: low (the rule's own).
    let external = !tainted && crate::semantics::external_store(ctx.lang, arg, &ctx.src.text);
    let r = ctx.report(call, message);
    if tainted {
        r.severity = Some(Severity::Error);
        r.confidence = Some(Confidence::High);
    } else if external {
        r.confidence = Some(Confidence::Medium);
    }
}

fn has_splat(call: Node) -> bool {
    call.field("arguments").is_some_and(|a| {
        let mut c = a.walk();
        let r = a.named_children(&mut c).any(|n| matches!(n.ty(), "dictionary_splat" | "list_splat"));
        r
    })
}
