//! Entry points of the fuzz targets (fuzz/fuzz_targets/*.rs) and of the stable test that
//! replays their corpora (tests/fuzz_corpora.rs). Each takes the fuzzer's bytes and panics
//! only when a promise breaks: a panic inside rewind's code, a failed write that left
//! something behind, a written event that reads back different, a patch that does not
//! turn one state into the other, a value that crosses into a script and back changed.
//! Errors are fine — they are what hostile input should get.

use std::io::Cursor;
use std::path::Path;

use serde_json::{Map, Value};

use crate::config::Config;
use crate::replay::{Folder, ReducerSpec, first_difference};
use crate::script::{ScriptLimits, ScriptRuntime, ScriptSource};
use crate::store::{LogQuery, OpenOptions, RecordedEvent, Store, StoreError, StoreUrl, validate};

/// A SQLite store and a runtime to drive it, opened once per fuzzing process.
pub struct StoreHarness {
    runtime: tokio::runtime::Runtime,
    store: Store,
}

impl StoreHarness {
    /// The fuzzing process's store, opened on first use in a folder of its own under the
    /// system's temp dir (statics are never dropped: the folder stays for a look after a
    /// crash).
    pub fn for_process() -> &'static StoreHarness {
        static HARNESS: std::sync::OnceLock<StoreHarness> = std::sync::OnceLock::new();
        HARNESS.get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("rewind-fuzz-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a folder for the fuzz store");
            StoreHarness::open(&dir)
        })
    }

    pub fn open(dir: &Path) -> StoreHarness {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let url = StoreUrl::Sqlite(dir.join("fuzz.db"));
        let options = OpenOptions {
            create: true,
            // Small, so that the size limit is reachable by fuzzed input.
            max_event_bytes: 4096,
            ..OpenOptions::default()
        };
        let store = runtime
            .block_on(Store::open(&url, options))
            .expect("the fuzz store opens");
        StoreHarness { runtime, store }
    }

    fn count(&self) -> u64 {
        self.runtime
            .block_on(self.store.stats())
            .expect("stats of the fuzz store")
            .events
    }

    /// The events after `head`, in log order.
    fn written_after(&self, head: u64, expected: usize) -> Vec<RecordedEvent> {
        self.runtime
            .block_on(self.store.read_log(LogQuery {
                after: head,
                limit: expected + 1,
                ..LogQuery::default()
            }))
            .expect("the fuzz store reads")
    }

    fn head(&self) -> u64 {
        self.runtime
            .block_on(self.store.stats())
            .expect("stats of the fuzz store")
            .head_position
    }
}

/// `rewind append` input (JSON Lines of new events): parsed and appended; a refused input
/// writes nothing, an accepted one reads back as given.
pub fn append_jsonl(harness: &StoreHarness, bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(segments) = crate::cli::parse_append_jsonl(text, 4096) else {
        return;
    };
    let sent: Vec<(String, Value)> = segments
        .iter()
        .flat_map(|s| {
            s.events
                .iter()
                .map(|e| (s.stream_id.clone(), parse(e.data.get())))
        })
        .collect();
    let (count, head) = (harness.count(), harness.head());
    match harness
        .runtime
        .block_on(harness.store.append_batch(segments))
    {
        Err(e) => {
            assert_refusal(&e);
            assert_eq!(harness.count(), count, "a refused append wrote events: {e}");
        }
        Ok(recorded) => {
            assert_eq!(recorded.len(), sent.len(), "one recorded event per line");
            let read = harness.written_after(head, sent.len());
            let read: Vec<(String, Value)> = read
                .iter()
                .map(|e| (e.stream_id.clone(), parse(e.data.get())))
                .collect();
            // An idempotent retry records nothing new: compare what was written.
            assert!(
                read.iter().all(|r| sent.contains(r)),
                "an appended event reads back different"
            );
        }
    }
}

/// `rewind import` input (envelope JSON Lines): all or nothing, and read back as given.
pub fn import_jsonl(harness: &StoreHarness, bytes: &[u8]) {
    let (count, head) = (harness.count(), harness.head());
    let input = Box::new(Cursor::new(bytes.to_vec()));
    match harness.runtime.block_on(harness.store.import(input)) {
        Err(e) => {
            assert_refusal(&e);
            assert_eq!(harness.count(), count, "a refused import wrote events: {e}");
        }
        Ok(summary) => {
            assert_eq!(harness.count(), count + summary.events, "import count");
            let text = std::str::from_utf8(bytes).expect("an accepted import is UTF-8");
            let lines: Vec<Value> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(parse)
                .collect();
            let read = harness.written_after(head, lines.len());
            assert_eq!(read.len(), lines.len(), "one event per line");
            for (line, event) in lines.iter().zip(&read) {
                assert_eq!(line["stream_id"], Value::from(event.stream_id.clone()));
                assert_eq!(line["event_type"], Value::from(event.event_type.clone()));
                assert!(
                    same_json(&line["data"], &parse(event.data.get())),
                    "imported data reads back different"
                );
            }
        }
    }
}

/// A store error is a refusal with a message, never an internal failure.
fn assert_refusal(e: &StoreError) {
    assert!(
        !matches!(e, StoreError::Database(_)),
        "a database failure on fuzzed input: {e}"
    );
    assert!(!e.to_string().is_empty());
}

/// config.toml text, and what is built from it: the key map, the theme, the store URL.
pub fn config_toml(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(config) = Config::parse(text, Path::new("/fuzz/config.toml")) else {
        return;
    };
    let _ = crate::tui::keymap::Keymap::with_overrides(&config.keys);
    let _ = crate::tui::theme::Theme::from_config(&config.theme, false);
    let _ = config.store_url(None);
    let _ = config.open_options(false, false);
}

/// Two JSON documents, one a line: the merge patch reducer folds the second into the first
/// as RFC 7396 says; the RFC 6902 diff between them turns the first into the second; the
/// TUI's patch and tree renderings take both.
pub fn json_patches(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let mut docs = text.splitn(2, '\n');
    let (Some(a), Some(b)) = (docs.next(), docs.next()) else {
        return;
    };
    let (Ok(a), Ok(b)) = (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) else {
        return;
    };

    // The merge patch reducer folds event data (an object) into the state.
    if let (Value::Object(_), Value::Object(_)) = (&a, &b) {
        let mut folder = Folder::new(&ReducerSpec::merge_patch()).expect("merge patch folder");
        folder
            .reset(Some(&a.to_string()))
            .expect("a state resets the folder");
        folder
            .apply(&[event_with(&b.to_string(), "{}")])
            .expect("merge patch applies");
        let mut expected = a.clone();
        rfc7396_merge(&mut expected, &b);
        assert_eq!(folder.state().expect("state"), expected, "merge patch");
    }

    let diff = json_patch::diff(&a, &b);
    let mut patched = a.clone();
    json_patch::patch(&mut patched, &diff).expect("a diff applies to its source");
    assert_eq!(patched, b, "the diff of a and b turns a into b");
    assert_eq!(
        diff.0.is_empty(),
        a == b,
        "a diff is empty exactly when a == b"
    );
    let _ = first_difference(&a, &b);

    let theme = crate::tui::theme::Theme::default();
    let _ = crate::tui::screens::travel::patch_lines(&diff, &theme);
    let mut tree = crate::tui::widgets::json_tree::JsonTree::new(vec![
        ("a".into(), a.clone()),
        ("b".into(), b.clone()),
    ]);
    for _ in 0..8 {
        tree.toggle();
        let _ = tree.lines(&theme, true);
        let _ = tree.cursor_pointer();
        tree.move_by(3);
    }
}

/// RFC 7396, section 2, as written there.
fn rfc7396_merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else {
        unreachable!()
    };
    for (name, value) in patch {
        if value.is_null() {
            map.remove(name);
        } else {
            rfc7396_merge(map.entry(name.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Event data and metadata (two JSON objects, one a line) cross into a script and back:
/// by the fold path (native objects) and the upcast path (JSON text), both equal to what
/// was stored, up to JavaScript's numbers (one f64 each).
pub fn script_events(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let mut lines = text.splitn(2, '\n');
    let data = lines.next().unwrap_or_default();
    let metadata = lines.next().unwrap_or("{}");
    // Only what the store accepts ever reaches a script.
    let (Ok(data), Ok(metadata)) = (
        validate::json_object("data", data),
        validate::json_object("metadata", metadata),
    ) else {
        return;
    };
    let event = event_with(data.get(), metadata.get());

    let limits = ScriptLimits::default();
    let mut runtime = ScriptRuntime::new(limits).expect("a script runtime");
    runtime
        .load(&ScriptSource {
            name: "fuzz.js".into(),
            code: "fromAll().when({ $any: (s, e) => ({ data: e.data, metadata: e.metadata, \
                   type: e.eventType, stream: e.streamId, body: e.body }) })"
                .into(),
        })
        .expect("the identity reducer loads");
    runtime.fold(std::slice::from_ref(&event)).expect("fold");
    let state = parse(&runtime.state().expect("state"));
    let stored_data = parse(data.get());
    let stored_metadata = parse(metadata.get());
    assert!(same_json(&state["data"], &stored_data), "data via fold");
    assert!(same_json(&state["body"], &stored_data), "body via fold");
    assert!(
        same_json(&state["metadata"], &stored_metadata),
        "metadata via fold"
    );
    assert_eq!(state["type"], Value::from(event.event_type.clone()));
    assert_eq!(state["stream"], Value::from(event.stream_id.clone()));

    let mut upcaster = ScriptRuntime::new(limits).expect("a script runtime");
    upcaster
        .load_upcaster(
            &event.event_type,
            &ScriptSource {
                name: "upcast.js".into(),
                code: "function upcast(data, v, e) { return { data, metadata: e.metadata }; }"
                    .into(),
            },
        )
        .expect("the identity upcaster loads");
    let upcast = parse(&upcaster.upcast(&event).expect("upcast"));
    assert!(same_json(&upcast["data"], &stored_data), "data via upcast");
    assert!(
        same_json(&upcast["metadata"], &stored_metadata),
        "metadata via upcast"
    );
}

fn event_with(data: &str, metadata: &str) -> RecordedEvent {
    RecordedEvent {
        event_id: uuid::Uuid::nil(),
        stream_id: "fuzz-1".into(),
        stream_type: "fuzz".into(),
        event_type: "Fuzzed".into(),
        version: 1,
        schema_version: 1,
        data: serde_json::value::RawValue::from_string(data.to_string()).expect("raw data"),
        metadata: serde_json::value::RawValue::from_string(metadata.to_string())
            .expect("raw metadata"),
        global_position: 1,
        recorded_at: chrono::DateTime::UNIX_EPOCH,
        link: None,
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("stored JSON parses")
}

/// Equal as JSON values once every number is the f64 a script sees (JavaScript has no
/// other number); `-0` is `0`.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}
