//! Security middleware and configuration of Node.js apps (Express, Fastify,
//! Koa, NestJS). App discovery is a project-level pass: [`facts`] records
//! what each file says about apps in phase 1, [`apps`] follows every app
//! across modules in phase 2.

pub mod insecure_session;
pub mod missing_csrf;
pub mod missing_helmet;
pub mod missing_rate_limit;
pub mod permissive_cors;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[
    &missing_helmet::RULE,
    &missing_rate_limit::RULE,
    &permissive_cors::RULE,
    &missing_csrf::RULE,
    &insecure_session::RULE,
];
