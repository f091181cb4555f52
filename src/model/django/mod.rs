//! Django: settings modules and their chains (`settings`), the model index
//! (`models`), querysets, loops, views and the relations they load
//! (`querysets`), DRF serializers (`drf`), what model methods
//! and properties read on `self` (`summaries`), the Django version the
//! project depends on (`version`), and the HTTP methods a view accepts
//! (`views`).

pub mod drf;
pub mod models;
pub mod querysets;
pub mod settings;
pub mod summaries;
pub mod version;
pub mod views;
