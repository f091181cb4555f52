//! Django: settings modules and their chains (`settings`), the model index
//! (`models`), querysets, loops, views and the relations they load
//! (`querysets`), DRF serializers (`drf`), and the Django version the
//! project depends on (`version`).

pub mod drf;
pub mod models;
pub mod querysets;
pub mod settings;
pub mod version;
