//! A subcommand whose arguments clap builds only when it is the one invoked.
//!
//! clap's derive builds every subcommand's arguments (help texts and all) before it parses
//! one of them: for rewind's eighteen, a quarter of a millisecond of every process's CPU.
//! `Lazy<T>` hands `T`'s arguments to [`clap::Command::defer`], which runs them when clap
//! builds that subcommand: to parse it, print its help, or generate completions and the man
//! page. The subcommand's one-line description is the doc comment on its variant of
//! [`super::Command`], so the top-level help lists it without building it; `T` itself
//! carries none (it would replace the variant's when built), nor does anything flattened
//! into it. Completions and the man page walk the whole tree, clap's generated `help`
//! subcommand included, which mirrors only what is built: they ask for it eagerly.

use std::sync::atomic::{AtomicBool, Ordering};

use clap::{ArgMatches, Args, Command, FromArgMatches};

/// Whether subcommands' arguments are built with the tree (see [`build_eagerly`]).
static EAGER: AtomicBool = AtomicBool::new(false);

/// From now on, `Lazy` subcommands build their arguments at once, with the tree.
pub fn build_eagerly() {
    EAGER.store(true, Ordering::Relaxed);
}

/// `T`'s arguments, added to its subcommand when clap builds it.
#[derive(Debug)]
pub struct Lazy<T>(pub T);

impl<T: FromArgMatches> FromArgMatches for Lazy<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Lazy)
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Lazy)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

impl<T: Args> Args for Lazy<T> {
    fn augment_args(cmd: Command) -> Command {
        match EAGER.load(Ordering::Relaxed) {
            true => T::augment_args(cmd),
            false => cmd.defer(T::augment_args),
        }
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        match EAGER.load(Ordering::Relaxed) {
            true => T::augment_args_for_update(cmd),
            false => cmd.defer(T::augment_args_for_update),
        }
    }
}
