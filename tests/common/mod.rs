//! Helpers shared by the integration tests: isolated temp stores, and the `rewind` binary
//! run with its own config and no `REWIND_*` variables from the environment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rewind::store::{OpenOptions, Store, StoreUrl};
use tempfile::TempDir;

pub mod tmux;

/// A temp folder holding a store file and an empty config file.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("config.toml"), "# test config\n").expect("write config");
        Sandbox { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("store.db")
    }

    pub fn config(&self) -> PathBuf {
        self.path("config.toml")
    }

    /// `rewind --config <sandbox config> --db <sandbox store> ARGS`.
    pub fn rewind(&self, args: &[&str]) -> Command {
        let mut cmd = self.rewind_bare(args);
        cmd.arg("--db").arg(self.db());
        cmd
    }

    /// `rewind --config <sandbox config> ARGS` (no --db).
    pub fn rewind_bare(&self, args: &[&str]) -> Command {
        let mut cmd = self.rewind_raw(args);
        cmd.arg("--config").arg(self.config());
        cmd
    }

    /// `rewind ARGS` in the sandbox, with no `REWIND_*` from the environment.
    pub fn rewind_raw(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rewind"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REWIND_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("REWIND_LOG_FILE", self.path("rewind.log"));
        cmd.env_remove("RUST_LOG");
        cmd.current_dir(self.dir.path());
        cmd.args(args);
        cmd.stdin(Stdio::null());
        cmd
    }

    pub async fn open(&self) -> Store {
        open_store(&self.db()).await
    }
}

pub async fn open_store(path: &Path) -> Store {
    Store::open(
        &StoreUrl::Sqlite(path.to_path_buf()),
        OpenOptions::default(),
    )
    .await
    .expect("open store")
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(mut cmd: Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run rewind");
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).expect("utf-8 stdout"),
        String::from_utf8(stderr).expect("utf-8 stderr"),
    )
}

/// Runs with `input` on stdin.
pub fn run_with_stdin(mut cmd: Command, input: &str) -> (i32, String, String) {
    use std::io::Write;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn rewind");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).expect("utf-8 stdout"),
        String::from_utf8(stderr).expect("utf-8 stderr"),
    )
}

/// Parses JSON Lines.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// The lines a child process prints, as they come (for `--follow` commands).
pub fn stdout_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::{BufRead, BufReader};
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub mod pg {
    //! PostgreSQL for tests: the server named by `REWIND_TEST_PG_URL` (never `REWIND_DB`),
    //! a fresh schema per test (reached through the URL's `search_path`), dropped after.

    use std::sync::Once;

    use rewind::store::{OpenOptions, Store, StoreUrl};

    /// The test server's URL; None (with a notice, once) when the variable is unset.
    pub fn server_url() -> Option<String> {
        static NOTICE: Once = Once::new();
        match std::env::var("REWIND_TEST_PG_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                NOTICE.call_once(|| {
                    // Straight to the terminal: the test harness captures eprintln!.
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "note: REWIND_TEST_PG_URL is unset: PostgreSQL tests skipped \
                         (set it, e.g. postgres://postgres@127.0.0.1:5432/test, to run them)"
                    );
                });
                None
            }
        }
    }

    /// A schema of its own on the test server, dropped (with everything in it) on drop.
    pub struct PgSchema {
        pub server: String,
        pub name: String,
    }

    impl PgSchema {
        pub async fn new() -> Option<PgSchema> {
            let server = server_url()?;
            let name = format!("rewind_t_{}", uuid::Uuid::new_v4().simple());
            let pool = sqlx::PgPool::connect(&server)
                .await
                .expect("the test PostgreSQL server answers");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                .execute(&pool)
                .await
                .expect("create a test schema");
            pool.close().await;
            Some(PgSchema { server, name })
        }

        /// The store URL: the server with this schema first on the search path.
        pub fn url(&self) -> String {
            let sep = if self.server.contains('?') { '&' } else { '?' };
            format!("{}{sep}options[search_path]={}", self.server, self.name)
        }

        /// A pool on this schema, for plain SQL beside the store.
        pub async fn pool(&self) -> sqlx::PgPool {
            sqlx::PgPool::connect(&self.url()).await.expect("connect")
        }

        pub async fn store(&self) -> Store {
            self.store_with(OpenOptions::default()).await
        }

        pub async fn store_with(&self, options: OpenOptions) -> Store {
            Store::open(&StoreUrl::parse(&self.url()).unwrap(), options)
                .await
                .expect("open the PostgreSQL store")
        }
    }

    impl Drop for PgSchema {
        fn drop(&mut self) {
            run_on_server(
                &self.server,
                format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
            );
        }
    }

    /// Runs `sql` on the test server from outside async code (a `Drop`): a thread with a
    /// small runtime of its own. Failures are ignored (clean-up is best effort).
    pub fn run_on_server(server: &str, sql: String) {
        let server = server.to_owned();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&server).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

/// The stdout of a run that must succeed.
#[allow(dead_code)]
pub fn ok_stdout((code, out, err): (i32, String, String)) -> String {
    assert_eq!(code, 0, "{err}");
    out
}
