//! The demo's reducers and upcasters, built into the binary: a demo store folds its
//! accounts, orders and users with them wherever rewind runs, even with no config.toml
//! in sight (the repository's config names the same files, and wins where it is found).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// How a built-in script is named where a config names a file.
pub const BUILTIN: &str = "builtin:";

/// (category, the script's path in the repository, its source).
const REDUCERS: &[(&str, &str, &str)] = &[
    (
        "Account",
        "assets/reducers/account.js",
        include_str!("../../assets/reducers/account.js"),
    ),
    (
        "Order",
        "assets/reducers/order.js",
        include_str!("../../assets/reducers/order.js"),
    ),
    (
        "User",
        "assets/reducers/user.js",
        include_str!("../../assets/reducers/user.js"),
    ),
];

/// (event type, the script's path in the repository, its source).
const UPCASTERS: &[(&str, &str, &str)] = &[
    (
        "MoneyDeposited",
        "assets/upcasters/money_deposited.js",
        include_str!("../../assets/upcasters/money_deposited.js"),
    ),
    (
        "UserRegistered",
        "assets/upcasters/user_registered.js",
        include_str!("../../assets/upcasters/user_registered.js"),
    ),
];

/// The source of the built-in script named `builtin:PATH`, if there is one.
pub fn builtin(name: &str) -> Option<&'static str> {
    let path = name.strip_prefix(BUILTIN)?;
    REDUCERS
        .iter()
        .chain(UPCASTERS)
        .find(|(_, p, _)| *p == path)
        .map(|(_, _, code)| *code)
}

/// Adds the demo's reducers and upcasters to `reducers` and `upcasters` where the config
/// names none for that category or event type.
pub fn fill_in(
    reducers: &mut BTreeMap<String, PathBuf>,
    upcasters: &mut BTreeMap<String, PathBuf>,
) {
    for (key, path, _) in REDUCERS {
        reducers
            .entry((*key).to_owned())
            .or_insert_with(|| PathBuf::from(format!("{BUILTIN}{path}")));
    }
    for (key, path, _) in UPCASTERS {
        upcasters
            .entry((*key).to_owned())
            .or_insert_with(|| PathBuf::from(format!("{BUILTIN}{path}")));
    }
}
