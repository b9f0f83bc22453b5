//! Widgets with state of their own.

pub mod js;
pub mod json_tree;
pub mod paged;
pub mod window;
