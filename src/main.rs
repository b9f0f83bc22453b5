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
    // Until the command is known, freed memory stays with the process (clap's tree is
    // freed right after parsing); a long-running command gets mimalloc's purging back.
    let purge_delay = allocator::keep_freed_memory();
    let cli = rewind::cli::Cli::parse();
    if cli.runs_long() {
        allocator::restore_purge_delay(purge_delay);
    }
    rewind::logging::init();
    let mut builder = if cli.wants_worker_threads() {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    } else {
        // A one-shot command reads each page once: SQLite's default cache size serves it.
        rewind::store::sqlite::set_page_cache_kib(2000);
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

/// mimalloc's purging, off for a short process. A one-shot command's threads end within
/// milliseconds of starting, and mimalloc purges a thread's free pages when it ends and
/// every arena when the process exits: madvise calls, then page faults for the pages the
/// next allocation touches again (measured: `rewind read` 5.5 → 3.9 ms of CPU). The TUI
/// and the long jobs keep it, so that what they free goes back to the system.
mod allocator {
    use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

    /// `mi_option_purge_delay` (milliseconds; -1: never), the 16th option in both of
    /// mimalloc's v2 and v3 headers. libmimalloc-sys's bindings do not name it; the test
    /// below checks the number against the option's default.
    pub const PURGE_DELAY: mi_option_t = 15;

    /// `mi_option_arena_reserve` (KiB), the 24th option in both headers (of the
    /// libmimalloc-sys Cargo.lock pins).
    pub const ARENA_RESERVE: mi_option_t = 23;

    /// The first arena mimalloc reserves: 32 MiB (its smallest) instead of 1 GiB. Every
    /// process pays at its first allocations for the bitmaps of that arena, page faults
    /// for 1 GiB's worth (measured, CPU per process: `--version` 1.37 → 1.13 ms, `read`
    /// 3.31 → 2.54, `append` 3.61 → 3.05; `log` of 200,500 events unchanged); a process
    /// that needs more memory gets more arenas, each larger than the last.
    const FIRST_ARENA_KIB: i64 = 32 * 1024;

    /// Runs before `main`, ahead of the first allocation (std allocates before `main`),
    /// so the option is set when the first arena is reserved. MIMALLOC_ARENA_RESERVE from
    /// the environment no longer applies.
    #[cfg(target_os = "linux")]
    #[used]
    #[unsafe(link_section = ".init_array")]
    static SMALL_FIRST_ARENA: extern "C" fn() = small_first_arena;

    #[cfg(target_os = "linux")]
    extern "C" fn small_first_arena() {
        // SAFETY: setting an option only writes mimalloc's option table; it allocates
        // nothing and needs no initialised allocator.
        unsafe { mi_option_set(ARENA_RESERVE, FIRST_ARENA_KIB as _) }
    }

    /// Turns purging off; returns the delay it had.
    pub fn keep_freed_memory() -> i64 {
        // SAFETY: mimalloc's option calls take any option number below its last and are
        // safe to call at any time; this one is read on every purge decision.
        unsafe {
            let delay = mi_option_get(PURGE_DELAY);
            mi_option_set(PURGE_DELAY, -1);
            delay as i64
        }
    }

    /// Gives purging back its earlier delay.
    pub fn restore_purge_delay(delay: i64) {
        // SAFETY: as above.
        unsafe { mi_option_set(PURGE_DELAY, delay as _) }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn option_15_is_the_purge_delay() {
            // No other option of mimalloc's defaults to 1000 (v3's purge delay in ms).
            let delay = keep_freed_memory();
            assert_eq!(delay, 1000, "option 15 is not mimalloc's purge_delay");
            // SAFETY: as above.
            assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, -1);
            restore_purge_delay(delay);
        }

        #[test]
        #[cfg(target_os = "linux")]
        fn the_first_arena_is_set_small_before_main() {
            // The test harness is this file too: its `.init_array` entry ran before the
            // harness's `main`.
            // SAFETY: as above.
            assert_eq!(
                unsafe { mi_option_get(ARENA_RESERVE) } as i64,
                FIRST_ARENA_KIB
            );
        }
    }
}
