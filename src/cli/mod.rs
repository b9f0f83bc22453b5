//! The command line: parse, call the library, print. One file per subcommand.

mod append;
mod demo;
mod doctor;
mod error;
mod export;
mod import;
mod info;
mod lazy;
mod log;
mod matching;
mod migrate;
mod output;
mod project;
mod query;
mod read;
mod snapshot;
mod state;
mod streams;
mod types;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[doc(hidden)]
pub use append::parse_append_jsonl;
pub use error::{CliError, CliResult};
pub use output::Format;

use crate::config::Config;
use crate::store::{SourceKind, Store, StoreUrl};
use lazy::Lazy;

const ABOUT: &str = "Explore, time-travel and project event-sourced systems";

const LONG_ABOUT: &str = "\
rewind opens an event store (an embedded SQLite file by default) to browse streams and the \
global log, append and import events, and follow new ones live. Every command prints JSON \
Lines (one document a line) unless --format table is given.

Exit codes: 0 success; 1 an error (a one-line message on stderr); 2 a usage error; \
3 a concurrency conflict (wrong expected version).";

const EXAMPLES: &str = "\
Examples:
  rewind demo                                      build the demo store (rewind-demo.db)
  rewind --db rewind-demo.db streams --category Account --format table
  rewind append Account-1 MoneyDeposited --data '{\"amount\":50}' --expected-version 0
  rewind read Account-1 --backward --limit 5
  rewind log --type MoneyDeposited --follow";

#[derive(Debug, Parser)]
#[command(name = "rewind", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command accepts, before or after the subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The store: sqlite://PATH (or a bare path) or postgres://...
    /// [default: $REWIND_DB, else config's `db`, else sqlite://rewind.db]
    #[arg(long, global = true, value_name = "URL")]
    pub db: Option<String>,
    /// The config file [default: $REWIND_CONFIG, ./config.toml, the user's config dir]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Refuse every write and leave the store untouched
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Let the TUI write to a PostgreSQL store (it opens them read-only otherwise)
    #[arg(long, global = true)]
    pub allow_writes: bool,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// The kind of store to read, instead of detecting it from the tables present
    #[arg(long, global = true, value_name = "KIND", value_parser = parse_source)]
    pub source: Option<SourceKind>,
}

fn parse_source(name: &str) -> Result<SourceKind, String> {
    SourceKind::parse(name).ok_or_else(|| {
        let names: Vec<&str> = SourceKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown store kind {name:?}: one of {}", names.join(", "))
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Append one event to a stream and print its stored envelope
    Append(Lazy<append::AppendArgs>),
    /// Print a stream's events as JSON Lines, oldest first (or newest first with --backward)
    Read(Lazy<read::ReadArgs>),
    /// Print the global log as JSON Lines in log order; --follow keeps printing new events
    Log(Lazy<log::LogArgs>),
    /// List streams (by id) as JSON Lines: stream_id, stream_type, version, created_at, updated_at
    Streams(Lazy<streams::StreamsArgs>),
    /// Count, sum, min or max over events (per group, top N), computed by the database
    Query(Lazy<query::QueryArgs>),
    /// Every event type: count, categories, first/last recorded, schema versions, and per schema
    /// version the inferred shape of data and metadata, with changes that came without a bump
    Types(Lazy<types::TypesArgs>),
    /// Check the history against the rules of event sourcing; exit 1 on an error-level finding
    Doctor(Lazy<doctor::DoctorArgs>),
    /// Write every event as envelope JSON Lines in log order (the format `import` reads)
    Export(Lazy<export::ExportArgs>),
    /// Import envelope JSON Lines (as `export` writes them) in one transaction
    Import(Lazy<import::ImportArgs>),
    /// Print a stream's state at a version, a time or a global position (default: now)
    State(Lazy<state::StateArgs>),
    /// Build, list and verify snapshots (states saved every N versions of a stream)
    Snapshot(Lazy<snapshot::SnapshotArgs>),
    /// Run projections (JavaScript, EventStoreDB's API) over the global log
    Project(Lazy<project::ProjectArgs>),
    /// Build the demo store (bank accounts, orders, users over months) and summarize it
    Demo(Lazy<demo::DemoArgs>),
    /// Add rewind's tables and columns to the store (additive: existing rows stay as they are)
    Migrate(Lazy<migrate::MigrateArgs>),
    /// Say which store this is (rewind's, Message DB, Emmett, Marten, Eventuous, a mapped
    /// table), its tables, and what rewind can do there
    Info(Lazy<info::InfoArgs>),
    /// The terminal UI on the projection workbench, FILE (or a template) in its editor
    Workbench(Lazy<WorkbenchArgs>),
    /// Print a shell's completion script for rewind (generated from these definitions)
    Completions(Lazy<CompletionsArgs>),
    /// Print rewind's man page (roff, generated from these definitions)
    Man(Lazy<ManArgs>),
}

impl Cli {
    /// Whether the command wants a multi-threaded runtime: the TUI (background work beside
    /// the render loop) and the long jobs that fold while they read. A one-shot command
    /// runs on the calling thread: the store's own threads do its I/O, and two runtime
    /// workers more cost a process about as much CPU as its work.
    pub fn wants_worker_threads(&self) -> bool {
        match &self.command {
            None | Some(Command::Workbench(_) | Command::Demo(_)) => true,
            Some(Command::Project(_) | Command::Snapshot(_) | Command::Import(_)) => true,
            Some(_) => false,
        }
    }

    /// Whether the process may run for long: the TUI, the long jobs, `log --follow`.
    /// A short one keeps the memory it frees (see main.rs); a long one returns it.
    pub fn runs_long(&self) -> bool {
        self.wants_worker_threads()
            || matches!(&self.command, Some(Command::Log(Lazy(log))) if log.follow)
    }
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind completions bash > ~/.local/share/bash-completion/completions/rewind
  rewind completions zsh > ~/.zfunc/_rewind        (with fpath+=~/.zfunc in .zshrc)
  rewind completions fish > ~/.config/fish/completions/rewind.fish")]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind man > rewind.1 && man ./rewind.1
  rewind man | gzip > ~/.local/share/man/man1/rewind.1.gz")]
pub struct ManArgs {}

#[derive(Debug, Args)]
#[command(after_help = "\
In the editor keys type text; Ctrl-r runs, Ctrl-s saves, Esc leaves the editor (then Space
pauses, n steps, N steps back, :runto P, :break TYPE, :breakif EXPR, ? lists the keys).

Examples:
  rewind workbench assets/projections/orders_per_status.js
  rewind --db rewind-demo.db workbench")]
pub struct WorkbenchArgs {
    /// The projection script to open
    pub file: Option<PathBuf>,
}

/// What every command needs: the config and the way to open the store.
pub struct Context {
    pub global: GlobalArgs,
    pub config: Config,
    /// Every store this command opened, flushed before the process exits.
    opened: std::sync::Mutex<Vec<Store>>,
}

impl Context {
    /// The config to fold `store`'s events with: a demo store also gets the demo's
    /// built-in reducers and upcasters, for whatever the config does not name (so
    /// `rewind demo` then `rewind state Account-7` shows a balance from any folder).
    pub async fn folds_for(&self, store: &Store) -> CliResult<Config> {
        let mut config = self.config.clone();
        if store.meta(crate::demo::META_KEY).await?.is_some() {
            crate::demo::folds::fill_in(&mut config.reducers, &mut config.upcasters);
        }
        Ok(config)
    }

    pub fn new(global: GlobalArgs) -> CliResult<Context> {
        let config = Config::load(global.config.as_deref())?;
        Ok(Context {
            global,
            config,
            opened: Default::default(),
        })
    }

    /// Lets other processes know of what this one wrote (see `Store::flush`).
    pub async fn flush(&self) {
        let opened = std::mem::take(&mut *self.opened.lock().unwrap_or_else(|e| e.into_inner()));
        for store in opened {
            store.flush().await;
        }
    }

    fn opened(&self, store: Store) -> Store {
        self.opened
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(store.clone());
        store
    }

    pub fn store_url(&self) -> CliResult<StoreUrl> {
        Ok(self.config.store_url(self.global.db.as_deref())?)
    }

    /// Opens the store for a command that writes: created when missing.
    pub async fn open_for_writing(&self) -> CliResult<Store> {
        self.open(&self.store_url()?, true).await
    }

    /// Opens an existing store for a command that only reads.
    pub async fn open_for_reading(&self) -> CliResult<Store> {
        self.open(&self.store_url()?, false).await
    }

    /// Opens the store for the TUI: a PostgreSQL store read-only (read-only transactions)
    /// unless `--allow-writes` or config's `allow_writes` say otherwise.
    pub async fn open_for_tui(&self) -> CliResult<Store> {
        let url = self.store_url()?;
        let read_only = self.global.read_only
            || (matches!(url, StoreUrl::Postgres(_))
                && !(self.global.allow_writes || self.config.allow_writes));
        let mut options = self.config.open_options(read_only, false);
        options.source = self.global.source;
        // The TUI's default read-only session still keeps rewind's state in a foreign
        // store's sidecar; `--read-only` does not.
        options.sidecar_writable = !self.global.read_only;
        Ok(self.opened(Store::open(&url, options).await?))
    }

    pub async fn open(&self, url: &StoreUrl, create: bool) -> CliResult<Store> {
        let mut options = self.config.open_options(self.global.read_only, create);
        options.source = self.global.source;
        // A one-shot command (main.rs gave it a current-thread runtime) reads and writes on
        // its one thread; the long jobs keep SQLite's threads.
        options.on_caller_thread = crate::store::on_current_thread_runtime();
        Ok(self.opened(Store::open(url, options).await?))
    }

    pub fn output(&self) -> output::Output {
        output::Output::new(self.global.format)
    }
}

/// Opens the terminal UI on `store` (a terminal is required).
pub async fn open_tui(context: &Context, store: Store, name: String) -> CliResult {
    open_tui_with(context, store, name, None).await
}

/// As `open_tui`, optionally on the workbench with a script (text, path) in its editor.
pub async fn open_tui_with(
    context: &Context,
    store: Store,
    name: String,
    workbench: Option<(String, Option<PathBuf>)>,
) -> CliResult {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::Input(
            "the terminal UI needs a terminal; the commands (`rewind --help`) work anywhere".into(),
        ));
    }
    let keymap = crate::tui::keymap::Keymap::with_overrides(&context.config.keys)
        .map_err(CliError::Input)?;
    // NO_COLOR (no-color.org): present and not empty turns colours off.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = crate::tui::theme::Theme::from_config(&context.config.theme, no_color)
        .map_err(CliError::Input)?;
    let config = context.folds_for(&store).await?;
    crate::tui::run(store, config, keymap, theme, name, workbench)
        .await
        .map_err(CliError::io("terminal UI"))
}

/// Writes what `completions` and `man` generate from the clap definitions (no config or
/// store needed).
fn generate(command: &Command) -> CliResult {
    use clap::CommandFactory;
    lazy::build_eagerly();
    let mut out = std::io::stdout().lock();
    match command {
        Command::Completions(Lazy(args)) => {
            clap_complete::generate(args.shell, &mut Cli::command(), "rewind", &mut out);
            Ok(())
        }
        _ => clap_mangen::Man::new(Cli::command())
            .render(&mut out)
            .map_err(error::stdout_error),
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> CliResult {
    if let Some(command @ (Command::Completions(_) | Command::Man(_))) = &cli.command {
        return match generate(command) {
            Err(e) if e.is_broken_pipe() => Ok(()),
            other => other,
        };
    }
    let context = Context::new(cli.global)?;
    let result = match cli.command {
        Some(Command::Append(Lazy(args))) => append::run(&context, args).await,
        Some(Command::Read(Lazy(args))) => read::run(&context, args).await,
        Some(Command::Log(Lazy(args))) => log::run(&context, args).await,
        Some(Command::Streams(Lazy(args))) => streams::run(&context, args).await,
        Some(Command::Query(Lazy(args))) => query::run(&context, args).await,
        Some(Command::Types(Lazy(args))) => types::run(&context, args).await,
        Some(Command::Doctor(Lazy(args))) => doctor::run(&context, args).await,
        Some(Command::Export(Lazy(args))) => export::run(&context, args).await,
        Some(Command::Import(Lazy(args))) => import::run(&context, args).await,
        Some(Command::State(Lazy(args))) => state::run(&context, args).await,
        Some(Command::Snapshot(Lazy(args))) => snapshot::run(&context, args).await,
        Some(Command::Project(Lazy(args))) => project::run(&context, args).await,
        Some(Command::Demo(Lazy(args))) => demo::run(&context, args).await,
        Some(Command::Migrate(Lazy(args))) => migrate::run(&context, args).await,
        Some(Command::Info(Lazy(args))) => info::run(&context, args).await,
        Some(Command::Completions(_) | Command::Man(_)) => Ok(()),
        Some(Command::Workbench(Lazy(args))) => {
            let (text, path) = match args.file {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        CliError::Input(format!("cannot read {}: {e}", path.display()))
                    })?;
                    (text, Some(path))
                }
                None => (crate::tui::workbench_template("all").to_owned(), None),
            };
            let store = context.open_for_tui().await?;
            let name = context.store_url()?.to_string();
            open_tui_with(&context, store, name, Some((text, path))).await
        }
        None => {
            let store = context.open_for_tui().await?;
            open_tui(&context, store, context.store_url()?.to_string()).await
        }
    };
    context.flush().await;
    match result {
        Err(e) if e.is_broken_pipe() => Ok(()),
        other => other,
    }
}
