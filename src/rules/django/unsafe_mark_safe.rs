//! `django/unsafe-mark-safe`: `mark_safe()`/`SafeString()` on a value that is
//! not a constant, and `format_html()` given a string already formatted.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::shorten;
use crate::finding::Confidence;
use crate::parse::Syntax;
use crate::semantics::python;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "django/unsafe-mark-safe"
languages = ["python"]
severity = "warning"
category = "security"
tags = ["injection"]
confidence = "low"
prefilter = ["mark_safe", "SafeString", "SafeText", "format_html"]
summary = "mark_safe()/SafeString() on a non-constant, or format_html() with a pre-formatted string"

[docs]
what = """
Flags `django.utils.safestring.mark_safe()` (also `SafeString()`/`SafeText()`) whose argument is not
a constant: a variable, an attribute, or a string built with an f-string, `%`, `.format()`, `+`
or `.join()` from such values. Variables are followed to their assignments in the function.
Pieces that are already safe HTML are accepted: `escape()`, `conditional_escape()`,
`format_html()`, `format_html_join()`, `render_to_string()`, a widget's `render()`, `json_script()`,
`bleach.clean()`/`nh3.clean()`, `reverse()`, numbers, settings and translated literals. Also flags
`format_html()` whose format string is itself built with an f-string, `%`, `.format()` or `+`:
the values are then interpolated before `format_html` can escape them. Request data in the value
is high confidence; any other value (a field of a stored object, a helper's result, a parameter) is
low, shown with `--min-confidence low`: on real projects such values are nearly always HTML the code
rendered, escaped or validated itself, which the rule cannot tell from an unescaped field.
"""
why = """
`mark_safe` tells the template engine not to escape a string. If any part of it comes from a
user (a product name, a comment, a query parameter), that user can put `<script>` into every
page that shows it: stored or reflected XSS, which reads the session of whoever views it (admins
included, as these strings often end up in the admin). `format_html` escapes only the arguments
it receives, not text formatted into the template beforehand.
"""
example = '''
@admin.display(description="Customer")
def customer_link(self, obj):
    return mark_safe(f'<a href="/customers/{obj.customer_id}/">{obj.customer.name}</a>')
'''
fix = '''
Let `format_html` build the HTML; it escapes every argument:

    return format_html('<a href="/customers/{}/">{}</a>', obj.customer_id, obj.customer.name)

For lists use `format_html_join`; for text that is meant to contain HTML, sanitise it with
`nh3.clean()` or `bleach.clean()` before marking it safe.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/utils/#django.utils.safestring.mark_safe",
  "https://docs.djangoproject.com/en/stable/ref/utils/#django.utils.html.format_html",
  "https://docs.djangoproject.com/en/stable/topics/security/#cross-site-scripting-xss-protection",
  "https://cwe.mitre.org/data/definitions/79.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
from django.utils.safestring import mark_safe

def customer_link(obj):
    return mark_safe(f'<a href="/c/{obj.pk}/">{obj.name}</a>')
'''
valid = '''
from django.utils.html import format_html

def customer_link(obj):
    return format_html('<a href="/c/{}/">{}</a>', obj.pk, obj.name)
'''

[[examples]]
invalid = '''
from django.utils.html import format_html

def badge(request):
    return format_html("<span>%s</span>" % request.GET["label"])
'''
valid = '''
from django.utils.html import escape
from django.utils.safestring import mark_safe

ICON = "<svg></svg>"

def badge(label):
    return mark_safe(ICON + "<span>" + escape(label) + "</span>")
'''

[[examples]]
invalid = '''
from django.utils.safestring import SafeString

def bio(user):
    html = user.profile.bio
    return SafeString(html)
'''
valid = '''
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

def card(ctx):
    return mark_safe(render_to_string("card.html", ctx))
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call"], node: Some(check), ..CodeRule::EMPTY };

const MARKERS: &[&str] = &[
    "django.utils.safestring.mark_safe",
    "django.utils.safestring.SafeString",
    "django.utils.safestring.SafeText",
    "django.utils.html.mark_safe",
];
const FORMAT_HTML: &[&str] = &["django.utils.html.format_html"];

/// Functions and methods whose result is already safe HTML (or not HTML).
const SAFE_PRODUCERS: &[&str] = &[
    "escape",
    "conditional_escape",
    "format_html",
    "format_html_join",
    "render_to_string",
    "render",
    "json_script",
    "linebreaks",
    "linebreaksbr",
    "urlize",
    "escapejs",
    "clean",
    "reverse",
    "reverse_lazy",
    "static",
    "as_widget",
    "as_p",
    "as_ul",
    "as_table",
    "as_div",
    "label_tag",
    "_",
    "gettext",
    "gettext_lazy",
    "ugettext",
    "ugettext_lazy",
    "pgettext",
    "ngettext",
    "mark_safe",
];

fn safe_producer(n: Node, src: &str) -> bool {
    if n.ty() != "call" {
        return false;
    }
    let Some(f) = n.field("function") else { return false };
    let name = match f.ty() {
        "identifier" => crate::semantics::text(f, src),
        "attribute" => f.field("attribute").map(|a| crate::semantics::text(a, src)).unwrap_or(""),
        _ => "",
    };
    if matches!(name, "_" | "gettext" | "gettext_lazy" | "ugettext" | "ugettext_lazy" | "pgettext" | "ngettext") {
        // Translations of literals only.
        return python::positional_args(n).iter().all(|a| python::is_literal(*a));
    }
    let lower = name.to_ascii_lowercase();
    SAFE_PRODUCERS.contains(&name) || ["escape", "sanitiz", "clean", "bleach"].iter().any(|w| lower.contains(w))
}

/// `obj.name`, `comment.author.bio`: an attribute of an object that is not
/// the class itself (`self.template`, `cls.HTML`) or the settings.
fn stored_field(n: Node, src: &str) -> bool {
    if n.ty() != "attribute" {
        return false;
    }
    let mut root = n;
    while let Some(o) = root.field("object") {
        root = o;
    }
    root.ty() == "identifier" && !matches!(crate::semantics::text(root, src), "self" | "cls" | "settings")
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    if !matches!(f.ty(), "identifier" | "attribute") {
        return;
    }
    let Some(q) = ctx.qualified_name(f) else { return };
    let is_marker = MARKERS.contains(&q.as_str());
    if !is_marker && !FORMAT_HTML.contains(&q.as_str()) {
        return;
    }
    let Some(arg) = python::positional_args(call).first().copied() else { return };
    let src = &ctx.src.text;
    let built = python::string_parts(arg, src, &|n| safe_producer(n, src));
    if built.parts.is_empty() || (!is_marker && !built.is_dynamic()) {
        return;
    }
    // Request data: high confidence. Anything else is low: on real projects
    // the values marked safe are nearly always HTML the code rendered,
    // escaped or validated itself (a template's output, `escape(str(obj))`,
    // an integer field, a slug), which the facts cannot tell apart from an
    // unescaped field of a stored object; audits see them with
    // --min-confidence low.
    let part = built.parts.iter().copied().find(|p| ctx.is_request_data(*p));
    let stored = built.parts.iter().copied().find(|p| stored_field(*p, src));
    let (shown, whose, confidence) = match (part, stored) {
        (Some(p), _) => (p, "request data ", Confidence::High),
        (None, Some(p)) => (p, "the stored value ", Confidence::Low),
        (None, None) => (built.parts[0], "", Confidence::Low),
    };
    let callee = ctx.text(f).to_string();
    let message = if is_marker {
        format!(
            "{callee}() marks HTML built from {whose}`{}` as safe, so it is never escaped: whoever controls that value \
             can inject script (XSS); build it with format_html(), which escapes each argument",
            shorten(ctx.text(shown))
        )
    } else {
        format!(
            "format_html() receives a template already formatted with {whose}`{}`: that value is not escaped; pass \
             it as an argument instead (format_html(\"<b>{{}}</b>\", value))",
            shorten(ctx.text(shown))
        )
    };
    ctx.report(call, message).confidence(confidence);
}
