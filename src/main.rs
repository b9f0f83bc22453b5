//! The `rewind` binary: parse the command line and dispatch; nothing else.

use clap::Parser;

fn main() {
    // `rewind --version` alone answers before clap builds its whole command tree (a third
    // of the process's CPU time); the text is clap's own.
    let mut args = std::env::args_os().skip(1);
    if let (Some(flag), None) = (args.next(), args.next())
        && (flag == "--version" || flag == "-V")
    {
        println!("rewind {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let cli = rewind::cli::Cli::parse();
    rewind::logging::init();
    let mut builder = if cli.wants_worker_threads() {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    } else {
        // A one-shot command reads each page once: SQLite's default cache size serves it.
        rewind::store::sqlite::set_page_cache_kib(2048);
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("rewind: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(rewind::cli::run(cli));
    drop(runtime);
    if let Err(e) = result {
        tracing::error!(error = %e, "command failed");
        eprintln!("rewind: {e}");
        std::process::exit(e.exit_code());
    }
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
