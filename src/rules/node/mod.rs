//! Node.js rules: event-loop blocking in request handlers, ReDoS, and ORM
//! N+1 queries (Prisma, Sequelize, Mongoose, TypeORM, Knex, raw drivers).

pub mod cpu_loop_in_handler;
pub mod n_plus_one_parallel;
pub mod n_plus_one_query;
pub mod redos_regex;
pub mod sync_api_in_handler;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[
    &cpu_loop_in_handler::RULE,
    &n_plus_one_parallel::RULE,
    &n_plus_one_query::RULE,
    &redos_regex::RULE,
    &sync_api_in_handler::RULE,
];
