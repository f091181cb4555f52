//! One line per guidance point (`GUIDANCE.md`: G1..G13), for the report to
//! say what a rule's or a fit finding's `guidance = ["G2"]` means.

pub const POINTS: &[(&str, &str)] = &[
    ("G1", "Node.js is for I/O-bound, high-concurrency and real-time work (sockets, streaming, gateways)."),
    ("G2", "The Node.js event loop must never be blocked: CPU-heavy or synchronous work belongs in worker threads or a separate service."),
    ("G3", "Django is for data-rich, relational, CRUD/admin-heavy and security-critical applications."),
    ("G4", "Python/Django is the natural home for ML, data science and CPU-heavy business logic."),
    ("G5", "Django is synchronous by default; under heavy concurrent I/O, ASGI with async views (and the async ORM) removes the bottleneck."),
    ("G6", "Real-time in Django goes through Channels (ASGI and a channel layer); a real-time feature on sync WSGI is a misfit."),
    ("G7", "Hybrid stacks are legitimate: Node.js as the front of the backend, Django as the data layer, each judged in its own role."),
    ("G8", "Background work: Django's tasks framework for standard jobs, Celery for heavy pipelines; BullMQ/Agenda-style queues in Node."),
    ("G9", "N+1 queries are the classic ORM performance trap: select_related/prefetch_related in Django, include/populate/batching in Node ORMs."),
    ("G10", "Node.js security needs explicit configuration: Helmet, CSRF protection, rate limiting, CORS and cookie flags are middleware you must add."),
    ("G11", "Django's protections are on by default but can be switched off: CSRF, clickjacking, HSTS/SSL redirect, secure cookies, DEBUG, secret key."),
    ("G12", "Injection: ORMs and parameterised drivers protect only queries not assembled from strings; eval, shell commands and raw SQL defeat them."),
    ("G13", "Least privilege for Node services: the permission model limits what a compromised service can reach."),
];

/// The one-line statement of guidance point `id` (`G2`).
pub fn text(id: &str) -> Option<&'static str> {
    POINTS.iter().find(|(g, _)| g.eq_ignore_ascii_case(id.trim())).map(|(_, t)| *t)
}
