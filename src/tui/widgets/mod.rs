//! Widgets with state of their own.

pub mod json_tree;
