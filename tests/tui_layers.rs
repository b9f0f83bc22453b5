//! The TUI's import picture, checked on its source (issue 16): the I/O layer imports
//! nothing from the screens, the overlays or the app, and no two of the TUI's modules
//! import each other, directly or round a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const TUI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tui");

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The words after each occurrence of `prefix` in `text`.
fn names_after<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// The TUI's top-level modules, each with the top-level modules it imports (tests and the
/// test harness left out).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(TUI);
    let modules: BTreeSet<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| !matches!(m.as_str(), "mod" | "tests" | "harness"))
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(root) {
        let relative = file.strip_prefix(root).unwrap();
        let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
        let top = parts[0].trim_end_matches(".rs").to_owned();
        if !modules.contains(&top) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests at a file's end may reach anywhere.
        let text = text.split("#[cfg(test)]\nmod tests {").next().unwrap();
        let mut used: Vec<&str> = names_after(text, "crate::tui::");
        // `super::` names a top-level module from a file at the top or a folder's mod.rs.
        let at_top = parts.len() == 1 || (parts.len() == 2 && parts[1] == "mod.rs");
        if at_top {
            used.extend(names_after(text, "super::"));
        } else if parts.len() == 2 {
            used.extend(names_after(text, "super::super::"));
        }
        let entry = graph.entry(top.clone()).or_default();
        for name in used {
            if name != top && modules.contains(name) {
                entry.insert(name.to_owned());
            }
        }
    }
    graph
}

#[test]
fn the_io_layer_imports_nothing_from_the_ui() {
    let graph = imports();
    let io = &graph["io"];
    assert!(io.is_empty(), "tui/io imports {io:?}");
}

#[test]
fn no_module_of_the_tui_imports_round_a_circle() {
    let graph = imports();
    for start in graph.keys() {
        // Everything reachable from `start`; a circle comes back to it.
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(module) = stack.pop() {
            for next in graph.get(&module).into_iter().flatten() {
                assert_ne!(
                    next, start,
                    "{start} imports itself round a circle: {graph:?}"
                );
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
    }
    // The layers as they stand: the screens and overlays sit under the app only.
    for module in ["screens", "overlays"] {
        for (from, to) in &graph {
            if from != "app" {
                assert!(!to.contains(module), "{from} imports {module}");
            }
        }
    }
}
