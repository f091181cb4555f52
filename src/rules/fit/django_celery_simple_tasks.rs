//! `fit/django-celery-simple-tasks`: a Django ≥ 6.0 application that runs
//! Celery only for fire-and-forget tasks, which Django's built-in tasks
//! framework covers.

use super::{applications, count, relate};
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::profile::signals::SignalKind;
use crate::profile::{Site, Stack};

const DOC: &str = r#####"
id = "fit/django-celery-simple-tasks"
languages = ["python"]
severity = "note"
category = "fit"
confidence = "medium"
summary = "Django 6 application uses Celery only for simple fire-and-forget tasks"

[docs]
what = """
Notes a Django application on version 6.0 or later (from its manifests or lock files) whose
Celery tasks are all simple: defined with `@shared_task`/`@app.task` and no options beyond a name
or queue, enqueued with `.delay()`/`.apply_async()`, and with none of what Django's tasks
framework does not offer: retries (`bind=True` with `self.retry`, `autoretry_for`, `max_retries`),
rate or time limits, `acks_late`, custom base classes, canvas (`chain`, `group`, `chord`,
signatures with `.s()`/`.si()`, `link=`), periodic schedules (`CELERY_BEAT_SCHEDULE`, `crontab`,
`django-celery-beat`, a `celery beat` process), or code waiting for results (`AsyncResult`). The
finding points at the Celery line of the requirements (or the Django line); the task definitions
are related locations.
"""
why = """
Django 6.0 ships a built-in tasks framework (`django.tasks`: `@task`, `.enqueue()`, pluggable
backends) that covers standard background jobs (G8). An application that only fires simple tasks
runs and monitors a broker and a Celery worker fleet for work the framework now does; Celery
remains the tool for heavy or complex pipelines (G8), which is why any of the features above
keeps this note away.
"""
example = '''
# requirements.txt
Django==6.0.1
celery[redis]==5.5.0

# accounts/tasks.py
@shared_task
def send_welcome_email(user_id): ...

# accounts/views.py
send_welcome_email.delay(user.pk)
'''
fix = '''
Consider Django's tasks framework, with a backend that suits your deployment (a database-backed
worker such as django-tasks' DatabaseBackend, or another production backend):

    from django.tasks import task

    @task()
    def send_welcome_email(user_id): ...

    send_welcome_email.enqueue(user.pk)

Keep Celery if you expect to need retries, schedules or workflows soon.
'''
references = [
  "https://docs.djangoproject.com/en/6.0/topics/tasks/",
  "https://docs.djangoproject.com/en/6.0/releases/6.0/",
]
guidance = ["G8"]

[[examples]]
path = "requirements.txt"
invalid = '''
Django==6.0.1
celery[redis]==5.5.0
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n", "site/settings.py" = "INSTALLED_APPS = ['accounts']\n", "accounts/tasks.py" = "from celery import shared_task\n\n@shared_task\ndef send_welcome_email(user_id):\n    pass\n", "accounts/views.py" = "from .tasks import send_welcome_email\n\ndef signup(request):\n    send_welcome_email.delay(request.user.pk)\n" }

[[examples]]
path = "requirements.txt"
valid = '''
Django==6.0.1
celery[redis]==5.5.0
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n", "site/settings.py" = "INSTALLED_APPS = ['accounts']\n", "accounts/tasks.py" = "from celery import shared_task\n\n@shared_task(bind=True, autoretry_for=(IOError,), max_retries=5)\ndef sync_crm(self, user_id):\n    pass\n" }

[[examples]]
path = "requirements.txt"
valid = '''
Django==5.2.4
celery[redis]==5.5.0
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n", "site/settings.py" = "INSTALLED_APPS = ['accounts']\n", "accounts/tasks.py" = "from celery import shared_task\n\n@shared_task\ndef send_welcome_email(user_id):\n    pass\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    for app in applications(ctx).iter().filter(|a| a.stack == Stack::Django) {
        if !app.version().is_some_and(|v| v.at_least(6, 0)) {
            continue;
        }
        let celery: Vec<Site> =
            app.sites(SignalKind::JobDef).iter().filter(|s| s.detail.starts_with("celery ")).cloned().collect();
        if celery.is_empty() {
            continue;
        }
        let beat_process =
            app.serving.commands.iter().any(|c| c.command.contains("celery") && c.command.contains("beat"));
        let complex = app.count(SignalKind::JobComplex) > 0
            || app.has_lib("django-celery-beat")
            || app.has_lib("rq-scheduler")
            || beat_process;
        if complex {
            continue;
        }
        let enqueued = app.sites(SignalKind::JobEnqueue);
        let version = app.framework_version.clone().unwrap_or_default();
        let message = format!(
            "{}: Celery runs {} here and all are fire-and-forget ({}; no retries, schedules, canvas or result waits); \
             Django {version} ships a built-in tasks framework that covers this, one broker and worker fleet fewer \
             to run (G8)",
            app.name,
            count(celery.len(), "task", "tasks"),
            count(enqueued.len(), "enqueue call", "enqueue calls"),
        );
        let at = if app.dep_locations.contains_key("celery") { app.dep_location("celery") } else { app.anchor.clone() };
        let f = out.report(at, message);
        relate(f, &[&celery, enqueued], 5);
    }
}
