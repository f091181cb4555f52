//! `django/missing-csp`: a project on Django 6.0 or later whose production
//! settings configure no Content Security Policy (neither the built-in
//! middleware with `SECURE_CSP` nor django-csp).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::{Location, Span};
use crate::model::django::settings::{is_falsy, Issue, Reporter, SettingsIndex, State, Value, CSP_MIDDLEWARE};
use crate::model::django::version::{depends_on, django_version};

const DOC: &str = r#####"
id = "django/missing-csp"
languages = ["python"]
severity = "note"
category = "security"
tags = ["deployment"]
confidence = "medium"
summary = "Django 6.0+ project without a Content Security Policy"

[docs]
what = """
For a project whose dependency manifests require Django 6.0 or later (requirements files,
`pyproject.toml`, `Pipfile`, `setup.cfg`, or the version pinned in `poetry.lock`/`uv.lock`/
`Pipfile.lock`), flags a production settings module that configures no Content Security Policy:
`django.middleware.csp.ContentSecurityPolicyMiddleware` is not in the resolved `MIDDLEWARE`, or
it is but neither `SECURE_CSP` nor `SECURE_CSP_REPORT_ONLY` is set. django-csp (its middleware,
its `csp` app, its `CONTENT_SECURITY_POLICY`/`CSP_*` settings, or the package among the
dependencies) counts as configured, as does any middleware named like a CSP middleware. The
finding points at the `MIDDLEWARE` assignment; the manifest that gave the version is a related
location. Projects on older Django, or whose version cannot be read, are not evaluated.
Not flagged when a web-server or proxy config the repository ships sets Content-Security-Policy.
"""
why = """
A Content Security Policy tells the browser which scripts, styles and frames a page may load; it
is the second line of defence when an XSS slips through (a `mark_safe` on user input, a template
rendered with `|safe`): injected inline scripts and scripts from foreign hosts are refused.
Django 6.0 ships the header as a built-in feature, so a missing policy is now a choice rather
than a missing dependency.
"""
example = '''
# requirements.txt: Django==6.0.1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    ...
]
'''
fix = '''
    from django.utils.csp import CSP

    MIDDLEWARE = [
        ...,
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
    ]
    SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.NONCE],
        "frame-ancestors": [CSP.NONE],
    }

Start with `SECURE_CSP_REPORT_ONLY` to see what a policy would block before enforcing it.
'''
references = [
  "https://docs.djangoproject.com/en/6.0/ref/csp/",
  "https://docs.djangoproject.com/en/6.0/releases/6.0/#content-security-policy-support",
  "https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
'''
valid = '''
from django.utils.csp import CSP
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.csp.ContentSecurityPolicyMiddleware"]
SECURE_CSP = {"default-src": [CSP.SELF]}
'''
files = { "requirements.txt" = "Django==6.0.1\n" }

[[examples]]
path = "proj/settings.py"
valid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
'''
files = { "requirements.txt" = "Django==5.2.4\n" }

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.csp.ContentSecurityPolicyMiddleware"]
'''
valid = '''
INSTALLED_APPS = ["shop", "csp"]
MIDDLEWARE = ["csp.middleware.CSPMiddleware"]
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"]}}
'''
files = { "pyproject.toml" = "[project]\nname = \"shop\"\ndependencies = [\"django>=6.0,<6.1\"]\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

/// Settings of django-csp (3.x `CSP_*`, 4.x `CONTENT_SECURITY_POLICY*`).
fn django_csp_configured(eff: &crate::model::django::settings::EffectiveSettings) -> bool {
    eff.values.keys().any(|k| k.starts_with("CSP_") || k.starts_with("CONTENT_SECURITY_POLICY"))
        || eff.has_app("csp") == Some(true)
}

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    for eff in index.production_settings() {
        if ctx.proxy_sets("content-security-policy", &index.modules[eff.root].file.rel).is_some() {
            continue;
        }
        let file = &index.modules[eff.root].file.path;
        let Some(version) = django_version(ctx.root, file) else { continue };
        if !version.at_least(6, 0) || depends_on(ctx.root, file, "django-csp") || django_csp_configured(&eff) {
            continue;
        }
        let Some(list) = eff.get("MIDDLEWARE").and_then(|m| m.certain()).and_then(Value::as_list) else {
            continue;
        };
        let names_csp = list.iter().any(|v| {
            v.as_str().is_some_and(|m| {
                let class = m.rsplit('.').next().unwrap_or(m).to_ascii_lowercase();
                class.contains("csp") || class.contains("contentsecuritypolicy")
            })
        });
        let builtin = eff.has_exact_middleware(CSP_MIDDLEWARE);
        let policy_set = ["SECURE_CSP", "SECURE_CSP_REPORT_ONLY"].iter().any(|n| match eff.state(n) {
            State::Absent => false,
            State::Literal(v, _) => !is_falsy(v),
            State::Unknown => true,
        });
        let message = match builtin {
            Some(true) if !policy_set => format!(
                "ContentSecurityPolicyMiddleware is installed but neither SECURE_CSP nor SECURE_CSP_REPORT_ONLY is set \
                 (production settings {}): no policy is sent; define SECURE_CSP",
                index.root_chain(&eff)
            ),
            Some(false) if !names_csp => format!(
                "No Content Security Policy on Django {}.{}+ (production settings {}): add \
                 \"{CSP_MIDDLEWARE}\" and a SECURE_CSP policy so injected scripts are refused",
                version.min.0,
                version.min.1,
                index.root_chain(&eff)
            ),
            _ => continue,
        };
        let site = eff.absent_site(&index);
        let path = version.file.strip_prefix(ctx.root).unwrap_or(&version.file).to_string_lossy().replace('\\', "/");
        let span = Span {
            start_line: version.line,
            start_column: 1,
            end_line: version.line,
            end_column: 1,
            ..Default::default()
        };
        let why = format!("Django {}.{} or later required here", version.min.0, version.min.1);
        r.add(Issue { site: site.clone(), message, severity: None, confidence: None });
        r.add_related(&site, Location { path, span, message: Some(why) });
    }
    r.finish(out);
}
