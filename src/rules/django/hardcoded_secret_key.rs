//! `django/hardcoded-secret-key`: a literal `SECRET_KEY` that a settings
//! module ends up with. Error in production chains, note in development
//! ones.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::{Confidence, Severity};
use crate::model::django::settings::Value;
use crate::model::django::settings::{Issue, Reporter, SettingsIndex, State};

const DOC: &str = r#####"
id = "django/hardcoded-secret-key"
languages = ["python"]
severity = "error"
category = "security"
tags = ["secret"]
confidence = "high"
summary = "SECRET_KEY is a literal committed with the code"

[docs]
what = """
Flags a string literal assigned to `SECRET_KEY` that a settings module ends up with: in the module
itself or in one it star-imports and does not override (the finding points at the assignment and
names the chain). In a production settings chain it is an error; a literal that only development
settings (`dev.py`, `local.py`, `test_settings.py`, ...) use is a note at low confidence (shown
with `--min-confidence low`): committing a throwaway local key is normal. A key
starting with `django-insecure-`, the one `startproject` generates, is called out. A value read
from the environment (`os.environ["SECRET_KEY"]`, `env("SECRET_KEY")`, `config("SECRET_KEY")`)
is never flagged, even with a literal fallback, and neither is an empty string. Django's
security.W009 only checks that the key is long and random; any committed literal is a leak.
"""
why = """
The secret key signs sessions (with the signed-cookie backend), password-reset and email
confirmation links, messages, `signing.dumps` payloads and CSRF tokens. Anyone who has read the
repository (every developer, CI provider, a leaked backup, a public fork) can forge them, which
with some session serializers has led to remote code execution. A committed key also cannot
be rotated without a code change.
"""
example = '''
SECRET_KEY = "django-insecure-4#x9)q0^c@2(y5p8m^b*w!s7k3z6d1e$u+r"
'''
fix = '''
Read it from the environment or a secrets manager, and fail loudly when it is missing:

    SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]

Then rotate the key: the committed one must be considered public. Django 4.1+ can keep old keys
valid during the change with `SECRET_KEY_FALLBACKS` (also read from the environment).
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/settings/#secret-key",
  "https://docs.djangoproject.com/en/stable/howto/deployment/checklist/#secret-key",
  "https://cwe.mitre.org/data/definitions/798.html",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
SECRET_KEY = "django-insecure-4#x9)q0^c@2(y5p8m^b*w!s7k3z6d1e$u+r"
'''
valid = '''
import os
INSTALLED_APPS = ["shop"]
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
'''

[[examples]]
path = "proj/settings/base.py"
invalid = '''
INSTALLED_APPS = ["shop"]
SECRET_KEY = "p9!x2m#kq7$w@z4v8c^n6b*j3h5g1f0d"
'''
valid = '''
from decouple import config
INSTALLED_APPS = ["shop"]
SECRET_KEY = config("SECRET_KEY", default="unsafe-default-for-dev")
'''
files = { "proj/settings/production.py" = "from .base import *\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    // Production chains first: a literal both kinds use is an error.
    for (development, roots) in [(false, index.production_roots()), (true, index.development_roots())] {
        for root in roots {
            let eff = index.effective(root);
            let State::Literal(Value::Str(key), s) = eff.state("SECRET_KEY") else {
                continue;
            };
            if key.is_empty() || (development && r.has(&s.site)) {
                continue;
            }
            let chain = index.chain(&s.site);
            let insecure = if key.starts_with("django-insecure-") {
                " (its `django-insecure-` prefix marks the throwaway key `startproject` generated)"
            } else {
                ""
            };
            let (message, severity) = if development {
                (
                    format!(
                        "SECRET_KEY is a literal in development settings ({chain}){insecure}: fine for local use only; \
                         make sure no production settings module imports it"
                    ),
                    Some(Severity::Note),
                )
            } else {
                (
                    format!(
                        "SECRET_KEY is a literal committed with the code (production settings {chain}){insecure}: \
                         anyone who has read the repository can forge sessions, password-reset links and signed data; \
                         read it from the environment and rotate it"
                    ),
                    None,
                )
            };
            r.add(Issue {
                site: s.site.clone(),
                message,
                severity,
                confidence: development.then_some(Confidence::Low),
            });
        }
    }
    r.finish(out);
}
