//! Django and DRF rules.

pub mod allowed_hosts_wildcard;
pub mod csrf_exempt;
pub mod debug_enabled;
pub mod default_allow_any;
pub mod hardcoded_secret_key;
pub mod hsts_not_set;
pub mod insecure_csrf_cookie;
pub mod insecure_session_cookie;
pub mod missing_clickjacking_middleware;
pub mod missing_csp;
pub mod missing_csrf_middleware;
pub mod missing_security_middleware;
pub mod n_plus_one_fk;
pub mod n_plus_one_related;
pub mod n_plus_one_serializer;
pub mod open_redirect;
pub mod query_in_loop;
pub mod save_in_loop;
pub mod sql_injection;
pub mod ssl_redirect_off;
pub mod sync_orm_in_async;
pub mod unsafe_mark_safe;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[
    &csrf_exempt::RULE,
    &debug_enabled::RULE,
    &n_plus_one_fk::RULE,
    &n_plus_one_related::RULE,
    &query_in_loop::RULE,
    &save_in_loop::RULE,
    &n_plus_one_serializer::RULE,
    &missing_security_middleware::RULE,
    &missing_clickjacking_middleware::RULE,
    &missing_csrf_middleware::RULE,
    &hsts_not_set::RULE,
    &ssl_redirect_off::RULE,
    &hardcoded_secret_key::RULE,
    &insecure_session_cookie::RULE,
    &insecure_csrf_cookie::RULE,
    &allowed_hosts_wildcard::RULE,
    &missing_csp::RULE,
    &sql_injection::RULE,
    &unsafe_mark_safe::RULE,
    &open_redirect::RULE,
    &sync_orm_in_async::RULE,
    &default_allow_any::RULE,
];
