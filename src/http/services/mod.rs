//! One file per action of the registered-services API.

mod get;
mod list;
mod register;
mod update;

pub use get::get_service;
pub use list::list_services;
pub use register::register_service;
pub use update::update_service;
