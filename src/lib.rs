//! rewind: an embedded event store (SQLite, or PostgreSQL with the `postgres` feature)
//! with append, optimistic concurrency, idempotency, subscriptions and snapshots, time
//! travel over any stream, and projections written in JavaScript — the engine under the
//! `rewind` terminal UI and command line.
//!
//! ```
//! use rewind::{ExpectedVersion, NewEvent, OpenOptions, Store, StoreUrl, Target, TimeTravel};
//! use rewind::replay::ReducerSpec;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("bank.db");
//! // Open (creating) a SQLite store.
//! let url = StoreUrl::Sqlite(path);
//! let store = Store::open(&url, OpenOptions { create: true, ..Default::default() }).await?;
//!
//! // Append with an expected version: the first append to a new stream, then one that
//! // must find the stream at version 1.
//! store
//!     .append("Account-7", ExpectedVersion::NoStream,
//!             vec![NewEvent::new("AccountOpened", json!({"owner": "Ada", "balance": 0}))])
//!     .await?;
//! store
//!     .append("Account-7", ExpectedVersion::Exact(1),
//!             vec![NewEvent::new("MoneyDeposited", json!({"balance": 40}))])
//!     .await?;
//!
//! // Another writer that still believes the stream is at version 1 is refused.
//! let late = store
//!     .append("Account-7", ExpectedVersion::Exact(1),
//!             vec![NewEvent::new("MoneyDeposited", json!({"balance": 99}))])
//!     .await;
//! assert!(matches!(late, Err(rewind::StoreError::Concurrency { .. })));
//!
//! // Read the stream back, oldest first.
//! let events = store.read_stream("Account-7", Default::default()).await?;
//! assert_eq!(events.len(), 2);
//! assert_eq!(events[1].event_type, "MoneyDeposited");
//!
//! // Time travel: the state at version 1, then now (the built-in merge-patch reducer
//! // merges each event's data into the state).
//! let travel = TimeTravel::new(store.clone(), ReducerSpec::merge_patch(), 100);
//! let then = travel.state_at("Account-7", Target::Version(1)).await?;
//! assert_eq!(then.state["balance"], 0);
//! let now = travel.state_at("Account-7", Target::Latest).await?;
//! assert_eq!(now.state["balance"], 40);
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - (always) [`store`]: the engine on SQLite (rusqlite, bundled).
//! - `postgres`: the PostgreSQL backend (sqlx), and other projects' PostgreSQL stores
//!   (Marten, Message DB, Eventuous, mapped tables) read-only.
//! - `scripts`: JavaScript reducers, upcasters and projections (QuickJS): [`replay`]
//!   (time travel, snapshots) and [`projection`].
//! - `tui`, `cli` (default): the terminal UI and the command line the `rewind` binary is
//!   built from. Their modules are public for the binary and the tests only.
//!
//! `default-features = false` compiles the store alone. docs/architecture.md in the
//! repository describes the layers, the store's guarantees and where to extend them.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod store;

pub mod catalog;

#[cfg(feature = "scripts")]
#[allow(missing_docs)]
pub mod config;
#[cfg(feature = "scripts")]
#[allow(missing_docs)]
pub mod demo;
#[cfg(feature = "scripts")]
pub mod doctor;
#[cfg(feature = "scripts")]
pub mod projection;
#[cfg(feature = "scripts")]
pub mod replay;
#[cfg(feature = "scripts")]
#[allow(missing_docs)]
pub mod script;

#[cfg(feature = "cli")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod cli;
#[cfg(feature = "cli")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod fuzzing;
#[cfg(feature = "cli")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod logging;
#[cfg(feature = "tui")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod tui;

pub use store::{
    AppendSegment, Direction, ExpectedVersion, LogFilter, LogQuery, NewEvent, OpenOptions,
    Position, RecordedEvent, Store, StoreError, StoreUrl, StreamInfo, StreamQuery, Subscription,
    Version,
};

#[cfg(feature = "scripts")]
pub use replay::{ReplayError, StateAnswer, Target, TimeTravel};

#[cfg(feature = "scripts")]
pub use projection::{Projection, ProjectionError};
