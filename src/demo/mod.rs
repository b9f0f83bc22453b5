//! The demo store: a realistic, deterministic event history (users, bank accounts,
//! orders) spanning months, built through the import path so it keeps its timestamps.

mod domain;
pub mod folds;
mod rng;

use std::io::BufReader;

pub use domain::{DemoSpec, GeneratorReader};

use crate::store::{ImportSummary, Result, Store};

/// Bumped whenever the generator's output changes, so old demo stores are rebuilt.
pub const GENERATOR_VERSION: u32 = 2;
/// The `meta` key that records which demo a store holds.
pub const META_KEY: &str = "demo.spec";

impl DemoSpec {
    /// The text stored under [`META_KEY`].
    pub fn fingerprint(&self) -> String {
        format!(
            "generator={GENERATOR_VERSION} seed={} events={}",
            self.seed, self.events
        )
    }
}

/// Imports the demo history into `store` (which should be empty) in one transaction.
pub async fn build(store: &Store, spec: DemoSpec) -> Result<ImportSummary> {
    let input = BufReader::with_capacity(1 << 16, GeneratorReader::new(spec));
    store
        .import_with_meta(
            Box::new(input),
            vec![(META_KEY.to_owned(), spec.fingerprint())],
        )
        .await
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn generate(spec: DemoSpec) -> String {
        let mut text = String::new();
        GeneratorReader::new(spec)
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn the_same_seed_gives_the_same_history() {
        let spec = DemoSpec {
            seed: 42,
            events: 2000,
        };
        assert_eq!(generate(spec), generate(spec));
        assert_ne!(generate(spec), generate(DemoSpec { seed: 43, ..spec }));
    }

    #[test]
    fn exactly_the_requested_number_of_events() {
        for events in [1, 2, 3, 10, 999] {
            assert_eq!(
                generate(DemoSpec { seed: 1, events }).lines().count() as u64,
                events
            );
        }
    }
}
