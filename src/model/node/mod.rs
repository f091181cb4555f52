//! Node.js: what each JavaScript/TypeScript file says about server apps
//! (`facts`), the app model built from them across modules (`apps`:
//! Express, Fastify, Koa, Nest apps, their middleware and routers), and the
//! database calls of the ORMs and drivers with the loops that repeat them
//! (`orm`).

pub mod apps;
pub mod facts;
pub mod orm;
