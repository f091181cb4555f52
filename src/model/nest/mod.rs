//! NestJS: providers and their injected calls (`providers`, per file), and
//! which service methods a controller reaches across files, deciding the
//! conditional findings of phase 1 (`services`).

pub mod pass;
pub mod providers;
pub mod services;
