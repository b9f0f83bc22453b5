//! rewind: a terminal explorer, time machine and projection workbench for event-sourced
//! systems. The library holds the store engine and everything the binary is built from.

pub mod cli;
pub mod config;
pub mod demo;
#[doc(hidden)]
pub mod fuzzing;
pub mod logging;
pub mod projection;
pub mod replay;
pub mod script;
pub mod store;
pub mod tui;
