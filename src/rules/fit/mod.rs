//! Fit rules: whether each application's stack suits the work it does, from
//! the profile (src/profile/). Every finding is advice backed by evidence:
//! it names the signals it is based on with counts, lists up to five of
//! them as related locations, cites the guidance (GUIDANCE.md) and points
//! at the application's manifest.

pub mod django_celery_simple_tasks;
pub mod django_realtime_on_wsgi;
pub mod django_sync_io_bound;
pub mod node_cpu_bound;
pub mod node_ml_in_process;
pub mod node_no_permission_model;
pub mod node_security_by_hand;
pub mod profile;

use crate::engine::project::{ProjectCtx, ProjectFinding};
use crate::engine::rule::CodeRule;
use crate::profile::{Application, Site};

pub const RULES: &[&CodeRule] = &[
    &profile::RULE,
    &node_cpu_bound::RULE,
    &node_ml_in_process::RULE,
    &django_realtime_on_wsgi::RULE,
    &django_sync_io_bound::RULE,
    &django_celery_simple_tasks::RULE,
    &node_security_by_hand::RULE,
    &node_no_permission_model::RULE,
];

/// The applications of the profile (none when it was not computed).
pub fn applications<'a>(ctx: &'a ProjectCtx) -> &'a [Application] {
    ctx.extra::<crate::profile::Profile>().map(|p| p.applications.as_slice()).unwrap_or(&[])
}

/// Adds up to `n` sites as related locations, spread over the given lists
/// in turn so that every kind of evidence is shown.
pub fn relate(f: &mut ProjectFinding, lists: &[&[Site]], n: usize) {
    let mut added = 0;
    let mut idx = 0;
    while added < n {
        let mut any = false;
        for l in lists {
            if let Some(s) = l.get(idx) {
                any = true;
                if added < n {
                    f.related(s.loc.clone());
                    added += 1;
                }
            }
        }
        if !any {
            break;
        }
        idx += 1;
    }
}

/// "1 polling client" / "3 polling clients".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
