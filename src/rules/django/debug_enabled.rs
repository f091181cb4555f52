//! `django/debug-enabled`: a literal `DEBUG = True` that a production
//! settings module ends up with, reported at that assignment (which may sit
//! in a base module the production module star-imports).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{SettingsIndex, Site};
use std::collections::BTreeMap;

const DOC: &str = r#####"
id = "django/debug-enabled"
languages = ["python"]
severity = "error"
category = "security"
confidence = "high"
summary = "DEBUG = True in production settings"

[docs]
what = """
Flags a literal `DEBUG = True` that a production settings module ends up with: assigned in that
module, or in a base module it star-imports (`from .base import *`) and does not override. The
finding points at the assignment and names the chain of modules. Settings modules are found from
`DJANGO_SETTINGS_MODULE` (manage.py, wsgi.py, asgi.py) and from modules assigning
`INSTALLED_APPS` or `MIDDLEWARE`. Development modules (`settings/dev.py`, `local_settings.py`,
`test_settings.py`, ...) are never checked; the `production-settings` config key overrides that
guess. A value read from the environment (`env.bool("DEBUG")`, `os.environ.get("DEBUG") == "1"`)
or assigned under a condition is never flagged. This is Django's deploy check security.W018.
"""
why = """
With DEBUG on, every unhandled error renders a page with the full traceback, local variables,
the request and most settings (secrets are only partly masked), to anyone who can trigger an
error; a 404 lists every URL pattern of the site. Django also keeps a copy of every SQL query in
memory for the life of the process. A settings file committed with `DEBUG = True` is one
deployment away from all of it.
"""
example = '''
# proj/settings/base.py
DEBUG = True

# proj/settings/production.py
from .base import *          # DEBUG is still True here
'''
fix = '''
Default to off and turn it on only where you develop, from the environment or a development
settings module:

    # proj/settings/base.py
    DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"

    # proj/settings/dev.py
    from .base import *
    DEBUG = True
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/settings/#debug",
  "https://docs.djangoproject.com/en/stable/howto/deployment/checklist/#debug",
  "https://docs.djangoproject.com/en/stable/ref/checks/#security",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["django.contrib.admin", "shop"]
DEBUG = True
'''
valid = '''
import os
INSTALLED_APPS = ["django.contrib.admin", "shop"]
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
'''

[[examples]]
path = "proj/settings/base.py"
invalid = '''
INSTALLED_APPS = ["django.contrib.admin", "shop"]
DEBUG = True
'''
files = { "proj/settings/production.py" = "from .base import *\n", "proj/settings/dev.py" = "from .base import *\n" }

[[examples]]
path = "proj/settings/base.py"
valid = '''
INSTALLED_APPS = ["django.contrib.admin", "shop"]
DEBUG = True
'''
files = { "proj/settings/production.py" = "from .base import *\nimport environ\nenv = environ.Env()\nDEBUG = env.bool('DEBUG', default=False)\n" }

[[examples]]
path = "proj/settings/dev.py"
valid = '''
from .base import *
DEBUG = True
'''
files = { "proj/settings/base.py" = "INSTALLED_APPS = ['shop']\nDEBUG = False\n", "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.dev')\n" }

[[examples]]
path = "proj/settings.py"
valid = '''
import os
INSTALLED_APPS = ["shop"]
DEBUG = False
if os.environ.get("LOCAL"):
    DEBUG = True
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    // One finding per assignment, however many roots resolve to it; each
    // root reaching it through a star import adds a related location.
    let mut hits: BTreeMap<(usize, u32, u32), Vec<Site>> = BTreeMap::new();
    for eff in index.production_settings() {
        let Some(debug) = eff.get("DEBUG") else {
            continue;
        };
        if !debug.is_literal_bool(true) {
            continue;
        }
        let site = &debug.site;
        let key = (site.module, site.span.start_line, site.span.start_column);
        hits.entry(key).or_default().push(site.clone());
    }
    for sites in hits.into_values() {
        let site = &sites[0];
        let message = format!(
            "DEBUG = True in production settings ({}): error pages show tracebacks, local variables and settings to anyone",
            index.chain(site)
        );
        let f = out.report(index.site_location(site, None), message);
        for s in &sites {
            if let Some((root, import)) = s.root_import() {
                let why = format!("production settings module {} imports it here", index.name(root));
                f.related(index.location(root, import, Some(why)));
            }
        }
    }
}
