//! PostgreSQL's errors as the store's: SQLSTATE codes a user can act on become the typed
//! errors the CLI maps to its exit codes.

use crate::store::error::StoreError;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) => {
                let message = db.message().to_owned();
                match db.code().as_deref() {
                    // read_only_sql_transaction: a store opened read-only.
                    Some("25006") => StoreError::ReadOnly("the write"),
                    // Content PostgreSQL cannot hold (jsonb refuses \u0000, say).
                    Some("22P05" | "22021" | "22P02" | "54001" | "22003") => {
                        StoreError::InvalidInput(format!(
                            "PostgreSQL refused the content: {message}"
                        ))
                    }
                    Some("42501") => StoreError::Database(format!(
                        "{message} (the PostgreSQL user lacks the privilege; nothing written)"
                    )),
                    _ => StoreError::Database(message),
                }
            }
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => {
                StoreError::Database(format!("cannot reach PostgreSQL: {e}"))
            }
            _ => StoreError::Database(e.to_string()),
        }
    }
}
