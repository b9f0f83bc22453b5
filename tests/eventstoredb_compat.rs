//! rewind's projections beside EventStoreDB's, on its own documented behaviour (issue 17).
//! Each test names its source: EventStoreDB's documentation (docs/projections/ in the
//! EventStore/EventStore repository) or its projection runtime
//! (src/EventStore.Projections.Core/Services/Interpreted/JintProjectionStateHandler.cs),
//! with the input events and the expected result written out.

mod common;

use rewind::projection::{Projection, ProjectionError, RunOptions};
use rewind::script::ScriptSource;
use rewind::store::{ExpectedVersion, NewEvent, Store};
use serde_json::{Value, json};

async fn append(store: &Store, stream: &str, events: &[(&str, Value)]) {
    let events = events
        .iter()
        .map(|(kind, data)| NewEvent::new(*kind, data.clone()))
        .collect();
    store
        .append(stream, ExpectedVersion::Any, events)
        .await
        .unwrap();
}

fn script(code: &str) -> ScriptSource {
    ScriptSource {
        name: "compat.js".into(),
        code: code.into(),
    }
}

async fn run(
    store: &Store,
    code: &str,
    emit: bool,
) -> Result<rewind::projection::RunState, ProjectionError> {
    let options = RunOptions {
        emit,
        ..Default::default()
    };
    Projection::new(store.clone(), script(code), options)
        .run(false, |_| {})
        .await
}

/// docs/projections/user-defined-projections.md lists the handler's event properties
/// (`isJson`, `data`, `body`, `bodyRaw`, `sequenceNumber`, `metadataRaw`, `partition`,
/// `eventType`); the runtime's CreateEnvelope sets `SequenceNumber` to the event's number
/// in its stream, which counts from 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_see_eventstoredbs_event_properties() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(
        &store,
        "account-1",
        &[
            ("Opened", json!({"owner": "ada"})),
            ("Deposited", json!({"amount": 5})),
        ],
    )
    .await;
    let state = run(
        &store,
        r#"fromStream('account-1').when({
  $init: () => ({ seen: [] }),
  $any: (s, e) => {
    s.seen.push({ n: e.sequenceNumber, type: e.eventType, isJson: e.isJson,
      bodyRaw: e.bodyRaw, metadataRaw: e.metadataRaw, body: e.body, partition: e.partition });
  },
});"#,
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        state.result["seen"],
        json!([
            {"n": 0, "type": "Opened", "isJson": true, "bodyRaw": "{\"owner\":\"ada\"}",
             "metadataRaw": "{}", "body": {"owner": "ada"}},
            {"n": 1, "type": "Deposited", "isJson": true, "bodyRaw": "{\"amount\":5}",
             "metadataRaw": "{}", "body": {"amount": 5}},
        ])
    );
}

/// `partition` is the partition's key under foreachStream and partitionBy
/// (docs/projections/user-defined-projections.md: "partition: string"; the runtime sets
/// Partition on the envelope it hands the handler).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_is_the_partitions_key() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "cart-1", &[("Added", json!({"sku": "a"}))]).await;
    append(&store, "cart-2", &[("Added", json!({"sku": "b"}))]).await;
    let by_stream = run(
        &store,
        "fromCategory('cart').foreachStream().when({ $init: () => ({}), Added: (s, e) => { s.p = e.partition; } });",
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        by_stream.result,
        json!({"cart-1": {"p": "cart-1"}, "cart-2": {"p": "cart-2"}})
    );
    let by_sku = run(
        &store,
        "fromAll().partitionBy(e => e.body.sku).when({ $init: () => ({}), Added: (s, e) => { s.p = e.partition; } });",
        false,
    )
    .await
    .unwrap();
    assert_eq!(by_sku.result, json!({"a": {"p": "a"}, "b": {"p": "b"}}));
}

/// linkTo writes `$>` with the body `{sequenceNumber}@{streamId}` (the runtime's LinkTo:
/// `Data = $"{number}@{source}"`), so its number counts from 0 as sequenceNumber does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_targets_count_from_zero() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(
        &store,
        "order-1",
        &[("Placed", json!({})), ("Paid", json!({}))],
    )
    .await;
    run(
        &store,
        "fromStream('order-1').when({ Paid: (s, e) => { linkTo('paid', e); } });",
        true,
    )
    .await
    .unwrap();
    let links = store.read_stream("paid", Default::default()).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].event_type, "$>");
    assert_eq!(
        serde_json::from_str::<Value>(links[0].data.get()).unwrap(),
        json!({"link": "1@order-1"})
    );
}

/// The runtime's Emit refuses a stream id or event type that is not a non-empty string,
/// a body that is not an object, and metadata that is not an object; LinkTo refuses an
/// argument that is not an event. rewind faults at the script's line, and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emit_and_link_to_check_their_arguments() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "src-1", &[("Tick", json!({"n": 1}))]).await;
    for (call, says) in [
        (
            "emit(null, 'Out', {})",
            "streamId must be a non-empty string",
        ),
        (
            "emit('out-1', undefined, {})",
            "eventType must be a non-empty string",
        ),
        ("emit('out-1', 'Out', 5)", "the body must be an object"),
        ("emit('out-1', 'Out', [1])", "the body must be an object"),
        (
            "emit('out-1', 'Out', {}, 'meta')",
            "metadata must be an object",
        ),
        ("emit('out-1', 'Out')", "too few arguments"),
        ("linkTo('links', { streamId: 'src-1' })", "must be an event"),
        ("linkTo('', e)", "streamId must be a non-empty string"),
    ] {
        let code = format!("fromAll().when({{\n  Tick: (s, e) => {{\n    {call};\n  }},\n}});");
        let error = run(&store, &code, true).await.unwrap_err();
        let text = error.to_string();
        assert!(text.contains(says), "{call}: {text}");
        match error {
            ProjectionError::Faulted { error, .. } => assert_eq!(error.line, Some(3), "{call}"),
            other => panic!("{call}: {other}"),
        }
    }
    let written = store.stats().await.unwrap().events;
    assert_eq!(written, 1, "nothing was written");
}

/// docs/projections/system-projections.md: `$by_category` splits a stream id at its first
/// `-` (`account-9E76…` is in `$ce-account`); a stream id without one is in no category.
/// fromCategory follows it (rewind's envelope still gives `Orders` the stream_type
/// `Orders`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_category_takes_ids_split_at_the_first_dash() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "account-9E763770-0A8D", &[("Opened", json!({}))]).await;
    append(&store, "account", &[("Opened", json!({}))]).await;
    let state = run(
        &store,
        "fromCategory('account').when({ $init: () => ({ streams: [] }), $any: (s, e) => { s.streams.push(e.streamId); } });",
        false,
    )
    .await
    .unwrap();
    assert_eq!(state.result, json!({"streams": ["account-9E763770-0A8D"]}));
}

/// A run with emits, from scratch twice (no checkpoint): each emitted event gets the same
/// id both times, so the second run writes nothing again (the store's idempotent append).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emitting_twice_writes_each_event_once() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(
        &store,
        "src-1",
        &[("Tick", json!({"n": 1})), ("Tick", json!({"n": 2}))],
    )
    .await;
    let code = "fromStream('src-1').when({ Tick: (s, e) => { emit('out-1', 'Seen', { n: e.body.n }); emit('out-1', 'Again', { n: e.body.n }); } });";
    run(&store, code, true).await.unwrap();
    let first = store
        .read_stream("out-1", Default::default())
        .await
        .unwrap();
    run(&store, code, true).await.unwrap();
    let second = store
        .read_stream("out-1", Default::default())
        .await
        .unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(
        first.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        second.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        "the second run wrote nothing"
    );
    assert_eq!(
        first
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        ["Seen", "Again", "Seen", "Again"]
    );
}

/// What rewind does not run yet is refused by name at the line that calls it (the
/// issue's rule: never a silent difference), with the projection's fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apis_not_run_yet_are_refused_by_name_at_their_line() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "src-1", &[("Tick", json!({}))]).await;
    for (code, name) in [(
        "options({ $includeLinks: true });",
        "options({ $includeLinks: true })",
    )] {
        let error = run(&store, code, false).await.unwrap_err().to_string();
        assert!(
            error.contains(&format!("{name} is not supported by rewind yet")),
            "{code}: {error}"
        );
        assert!(error.contains("line"), "{code}: the line is named: {error}");
    }
}

/// docs/projections/user-defined-projections.md's own example, as EventStoreDB runs it:
/// its transformBy changes the state and returns nothing, and TransformStateToResult
/// makes a result of null from an undefined; the state itself is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_transform_by_example() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(
        &store,
        "account-1",
        &[("myEventType", json!({})), ("myEventType", json!({}))],
    )
    .await;
    // The example as documented, but for `resultStreamName`: rewind writes no result
    // stream, and refuses the option by name (see the README).
    let documented = r#"options({
	$includeLinks: false,
	reorderEvents: false,
	processingLag: 0
})

fromStream('account-1')
.when({
	$init:function(){
		return {
			count: 0
		}
	},
	myEventType: function(state, event){
		state.count += 1;
	}
})
.transformBy(function(state){
	state.count = 10;
})
.outputState()"#;
    let state = run(&store, documented, false).await.unwrap();
    assert_eq!(state.result, Value::Null);
    // A transform that returns its result, then a filter: per partition.
    let state = run(
        &store,
        "fromAll().foreachStream().when({ $init: () => ({ count: 0 }), $any: (s, e) => { s.count += 1; } })\n  .transformBy((s) => ({ total: s.count * 10 }))\n  .filterBy((s) => s.total > 10)\n  .outputState();",
        false,
    )
    .await
    .unwrap();
    assert_eq!(state.result, json!({"account-1": {"total": 20}}));
    let state = run(
        &store,
        "fromAll().when({ $init: () => ({ count: 0 }), $any: (s, e) => { s.count += 1; } })\n  .filterBy((s) => s.count > 5);",
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        state.result,
        Value::Null,
        "a filter that is false makes the result null"
    );
}

/// InterpreterRuntime's RestrictProperties: after each step only some may follow
/// (fromStream offers when, partitionBy, outputState; when offers transformBy, filterBy,
/// outputState, outputTo; ...). `fromStream(...).foreachStream()` is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_chaining_follows_eventstoredbs_rules() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "a-1", &[("T", json!({}))]).await;
    for (code, says) in [
        (
            "fromStream('a-1').foreachStream().when({ $any: (s, e) => s });",
            "foreachStream() cannot follow fromStream()",
        ),
        (
            "fromAll().when({ $any: (s, e) => s }).when({ $any: (s, e) => s });",
            "when() cannot follow when()",
        ),
        (
            "fromAll().partitionBy((e) => e.streamId).foreachStream();",
            "foreachStream() cannot follow partitionBy()",
        ),
        (
            "fromAll().outputState().when({ $any: (s, e) => s });",
            "when() cannot follow outputState()",
        ),
        (
            "fromCategory('a').when({ $any: (s, e) => s }).partitionBy((e) => 1);",
            "partitionBy() cannot follow when()",
        ),
    ] {
        let error = run(&store, code, false).await.unwrap_err().to_string();
        assert!(error.contains(says), "{code}: {error}");
    }
    // What EventStoreDB allows runs.
    for code in [
        "fromAll().foreachStream().when({ $any: (s, e) => s }).outputState();",
        "fromCategory('a').partitionBy((e) => e.streamId).when({ $any: (s, e) => s }).transformBy((s) => s).filterBy((s) => true).outputState();",
        "fromStreams(['a-1']).when({ $any: (s, e) => s });",
    ] {
        run(&store, code, false).await.unwrap();
    }
}

/// InterpreterRuntime.SetOptions takes $includeLinks, reorderEvents, processingLag,
/// resultStreamName and biState, each of its type, and refuses any other key
/// ("Unrecognized option").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_are_checked_as_eventstoredb_checks_them() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "a-1", &[("T", json!({}))]).await;
    let with =
        |options: &str| format!("options({options});\nfromAll().when({{ $any: (s, e) => s }});");
    run(
        &store,
        &with("{ reorderEvents: true, processingLag: 500, $includeLinks: false }"),
        false,
    )
    .await
    .unwrap();
    let error = run(&store, &with("{ colour: 'blue' }"), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("Unrecognized option: colour"), "{error}");
    let error = run(&store, &with("{ processingLag: 'soon' }"), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("processingLag must be a number"), "{error}");
}

/// log(...) (the runtime's Log: one primitive as text, an object as JSON, several joined
/// by ", ") is reported beside the run, never emitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_are_reported_beside_the_run() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "a-1", &[("T", json!({}))]).await;
    let state = run(
        &store,
        "fromAll().when({ $any: (s, e) => { log('seen', e.sequenceNumber, { type: e.eventType }); log(e.streamId); } });",
        false,
    )
    .await
    .unwrap();
    assert_eq!(state.logged, ["seen, 0, {\"type\":\"T\"}", "a-1"]);
    assert!(state.emitted.is_empty(), "{:?}", state.emitted);
}

/// $created (InterpreterRuntime.HandleCreated, called as a partition is created: its
/// initial state and the event) runs before that event's handler; $deleted is accepted
/// only with foreachStream (AddHandler; the docs: "Can only be used with foreachStream")
/// and, rewind's streams never being deleted, never called.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_and_deleted_handlers() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(
        &store,
        "cart-1",
        &[("Opened", json!({})), ("Added", json!({}))],
    )
    .await;
    append(&store, "cart-2", &[("Added", json!({}))]).await;
    let state = run(
        &store,
        "fromCategory('cart').foreachStream().when({\n  $init: () => ({ events: 0 }),\n  $created: (s, e) => { s.first = e.eventType; },\n  $deleted: (s) => { s.deleted = true; },\n  $any: (s, e) => { s.events += 1; },\n});",
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        state.result,
        json!({"cart-1": {"events": 2, "first": "Opened"}, "cart-2": {"events": 1, "first": "Added"}})
    );
    let error = run(
        &store,
        "fromAll().when({\n  $deleted: (s) => s, $any: (s, e) => s });",
        false,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("$deleted handler can only be used with foreachStream()"),
        "{error}"
    );
}

/// fromCategories (EventStoreDB: the $ce- stream of each) takes a list or several
/// arguments, and offers what fromCategory offers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_categories_reads_each_category() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    for stream in ["a-1", "b-1", "c-1", "ab"] {
        append(&store, stream, &[("T", json!({}))]).await;
    }
    for selector in ["fromCategories(['a', 'b'])", "fromCategories('a', 'b')"] {
        let code =
            format!("{selector}.foreachStream().when({{ $any: (s, e) => ({{ seen: true }}) }});");
        let state = run(&store, &code, false).await.unwrap();
        assert_eq!(
            state.result,
            json!({"a-1": {"seen": true}, "b-1": {"seen": true}}),
            "{selector}"
        );
    }
}

/// docs/projections/emitters/linkTo.md's example: events of two enquiry streams linked to
/// each customer's stream, with link metadata. A projection that reads a customer's
/// stream (or its category) reads through the links, as EventStoreDB does: the handler
/// sees each original event (its stream, type, number and body) with `linkMetadata`;
/// `fromAll` leaves the link events out (`$includeLinks` defaults to false).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_read_through() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(
        &store,
        "website-enquiries",
        &[("Enquired", json!({"customerId": 7, "via": "web"}))],
    )
    .await;
    append(
        &store,
        "email-enquiries",
        &[("Enquired", json!({"customerId": 7, "via": "mail"}))],
    )
    .await;
    append(
        &store,
        "email-enquiries",
        &[("Enquired", json!({"customerId": 8, "via": "mail"}))],
    )
    .await;
    let documented = r#"fromStreams(["website-enquiries", "email-enquiries"]).when({
  $any: function (state, event) {
    linkTo(`customer-${event.data.customerId}`, event, {
      linkOrigin: "enquiry-link-projection",
    })
  },
})"#;
    run(&store, documented, true).await.unwrap();
    let links = store
        .read_stream("customer-7", Default::default())
        .await
        .unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].event_type, "$>");

    let reader = "fromStream('customer-7').when({\n  $init: () => ({ seen: [] }),\n  $any: (s, e) => { s.seen.push([e.streamId, e.eventType, e.sequenceNumber, e.body.via, e.linkMetadata.linkOrigin]); },\n});";
    let state = run(&store, reader, false).await.unwrap();
    assert_eq!(
        state.result["seen"],
        json!([
            [
                "website-enquiries",
                "Enquired",
                0,
                "web",
                "enquiry-link-projection"
            ],
            [
                "email-enquiries",
                "Enquired",
                0,
                "mail",
                "enquiry-link-projection"
            ],
        ])
    );
    let by_category = "fromCategory('customer').foreachStream().when({ $init: () => ({ n: 0 }), $any: (s, e) => { s.n += 1; s.raw = e.linkMetadataRaw; } });";
    let state = run(&store, by_category, false).await.unwrap();
    assert_eq!(
        state.result,
        json!({
            "email-enquiries": {"n": 2, "raw": "{\"linkOrigin\":\"enquiry-link-projection\"}"},
            "website-enquiries": {"n": 1, "raw": "{\"linkOrigin\":\"enquiry-link-projection\"}"},
        }),
        "partitioned by the original's stream, as the handler sees it"
    );
    let everything = "fromAll().when({ $init: () => ({ types: [] }), $any: (s, e) => { s.types.push(e.eventType); } });";
    let state = run(&store, everything, false).await.unwrap();
    assert_eq!(
        state.result["types"],
        json!(["Enquired", "Enquired", "Enquired"])
    );

    // The workbench's debugger reads through them the same way.
    let mut debugger =
        rewind::projection::Debugger::start(store.clone(), script(reader), RunOptions::default())
            .await
            .unwrap();
    debugger.run(None, usize::MAX).await.unwrap();
    assert_eq!(
        debugger.result().await.unwrap()["seen"][1][3],
        json!("mail")
    );
    let mut all = rewind::projection::Debugger::start(
        store.clone(),
        script(everything),
        RunOptions::default(),
    )
    .await
    .unwrap();
    all.run(None, usize::MAX).await.unwrap();
    assert_eq!(
        all.result().await.unwrap()["types"],
        json!(["Enquired", "Enquired", "Enquired"])
    );
}

/// linkStreamTo writes a `$@` event naming a stream (the runtime's LinkStreamTo: both
/// ids non-empty strings); rewind's data is `{"stream": …}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_stream_to_names_a_stream() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "order-1", &[("Placed", json!({}))]).await;
    run(
        &store,
        "fromAll().when({ Placed: (s, e) => { linkStreamTo('orders', e.streamId); } });",
        true,
    )
    .await
    .unwrap();
    let links = store
        .read_stream("orders", Default::default())
        .await
        .unwrap();
    assert_eq!((links.len(), links[0].event_type.as_str()), (1, "$@"));
    assert_eq!(
        serde_json::from_str::<Value>(links[0].data.get()).unwrap(),
        json!({"stream": "order-1"})
    );
    let error = run(
        &store,
        "fromAll().when({ Placed: (s, e) => { linkStreamTo('orders', null); } });",
        true,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("linkedStreamId must be a non-empty string"),
        "{error}"
    );
}

/// A bi-state projection ($initShared, or options biState: EventStoreDB's AddHandler and
/// SetOptions): each handler gets [the partition's state, the shared state] as s[0] and
/// s[1]; the result is the pair. It cannot handle deletes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bi_state_projections_share_a_state_across_partitions() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(
        &store,
        "cart-1",
        &[("Added", json!({"n": 2})), ("Added", json!({"n": 3}))],
    )
    .await;
    append(&store, "cart-2", &[("Added", json!({"n": 5}))]).await;
    let code = "fromCategory('cart').foreachStream().when({\n  $init: () => ({ items: 0 }),\n  $initShared: () => ({ total: 0 }),\n  Added: (s, e) => { s[0].items += e.body.n; s[1].total += e.body.n; },\n});";
    let state = run(&store, code, false).await.unwrap();
    assert_eq!(
        state.result,
        json!([{"cart-1": {"items": 5}, "cart-2": {"items": 5}}, {"total": 10}])
    );
    // A handler may return a new pair instead; options({ biState: true }) without
    // $initShared starts the shared state at {}.
    let code = "options({ biState: true });\nfromAll().when({\n  $init: () => ({ n: 0 }),\n  Added: (s, e) => [{ n: s[0].n + 1 }, { last: e.body.n }],\n});";
    let state = run(&store, code, false).await.unwrap();
    assert_eq!(state.result, json!([{"n": 3}, {"last": 5}]));
    let error = run(
        &store,
        "fromAll().foreachStream().when({\n  $initShared: () => ({}), $deleted: (s) => s, $any: (s, e) => s });",
        false,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("Cannot handle deletes in bi-state projections"),
        "{error}"
    );
    // A checkpointed bi-state run resumes with both states.
    let options = RunOptions {
        checkpoint: Some("bi".into()),
        until_position: Some(2),
        ..Default::default()
    };
    let code = "fromCategory('cart').foreachStream().when({\n  $init: () => ({ items: 0 }),\n  $initShared: () => ({ total: 0 }),\n  Added: (s, e) => { s[0].items += e.body.n; s[1].total += e.body.n; },\n});";
    Projection::new(store.clone(), script(code), options.clone())
        .run(false, |_| {})
        .await
        .unwrap();
    let resumed = Projection::new(
        store.clone(),
        script(code),
        RunOptions {
            until_position: None,
            ..options
        },
    )
    .run(false, |_| {})
    .await
    .unwrap();
    assert_eq!(
        resumed.result,
        json!([{"cart-1": {"items": 5}, "cart-2": {"items": 5}}, {"total": 10}])
    );
}

/// copyTo (EventStoreDB's projection prelude): the event's type and body to another
/// stream, with its metadata but for "$" keys ($correlationId kept) and the given
/// metadata but for "$" keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_copies_type_body_and_metadata() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    store
        .append(
            "order-1",
            ExpectedVersion::Any,
            vec![NewEvent::new("Placed", json!({"total": 9})).with_metadata(
                json!({"$correlationId": "c-1", "$causationId": "x", "user": "ada"}),
            )],
        )
        .await
        .unwrap();
    run(
        &store,
        "fromAll().when({ Placed: (s, e) => { copyTo('audit', e, { by: 'copy', $skip: 1 }); } });",
        true,
    )
    .await
    .unwrap();
    let copies = store
        .read_stream("audit", Default::default())
        .await
        .unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].event_type, "Placed");
    assert_eq!(
        serde_json::from_str::<Value>(copies[0].data.get()).unwrap(),
        json!({"total": 9})
    );
    assert_eq!(
        serde_json::from_str::<Value>(copies[0].metadata.get()).unwrap(),
        json!({"$correlationId": "c-1", "user": "ada", "by": "copy"})
    );
}

/// outputState (docs/projections/user-defined-projections.md: "produces a stream called
/// `$projections-{projection-name}-result` with the state as the event body"),
/// resultStreamName and outputTo(stream, partition pattern) — written with `--emit`,
/// when the result changed, and not twice by a re-run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_written_to_result_streams() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    append(&store, "a-1", &[("T", json!({}))]).await;
    append(&store, "b-1", &[("T", json!({})), ("T", json!({}))]).await;
    // (From the two categories: the result streams are in the log too.)
    let count =
        "fromCategories('a', 'b').when({ $init: () => ({ n: 0 }), $any: (s, e) => { s.n += 1; } })";
    let bodies = |events: Vec<rewind::store::RecordedEvent>| {
        events
            .iter()
            .map(|e| {
                (
                    e.event_type.clone(),
                    serde_json::from_str::<Value>(e.data.get()).unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    run(&store, &format!("{count}.outputState();"), true)
        .await
        .unwrap();
    let written = store
        .read_stream("$projections-compat-result", Default::default())
        .await
        .unwrap();
    assert_eq!(bodies(written), [("Result".to_owned(), json!({"n": 3}))]);
    // A re-run writes nothing again.
    run(&store, &format!("{count}.outputState();"), true)
        .await
        .unwrap();
    let again = store
        .read_stream("$projections-compat-result", Default::default())
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    // Without --emit nothing is written.
    run(
        &store,
        &format!("options({{ resultStreamName: 'counted' }});\n{count}.outputState();"),
        false,
    )
    .await
    .unwrap();
    assert!(
        store
            .read_stream("counted", Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    run(
        &store,
        &format!("options({{ resultStreamName: 'counted' }});\n{count}.outputState();"),
        true,
    )
    .await
    .unwrap();
    assert_eq!(
        bodies(
            store
                .read_stream("counted", Default::default())
                .await
                .unwrap()
        ),
        [("Result".to_owned(), json!({"n": 3}))]
    );
    // Partitioned, through outputTo's pattern; a filtered-out partition is not written.
    let partitioned = "fromCategories('a', 'b').foreachStream().when({ $init: () => ({ n: 0 }), $any: (s, e) => { s.n += 1; } })\n  .filterBy((s) => s.n > 1)\n  .outputTo('totals', 'total-{0}');";
    run(&store, partitioned, true).await.unwrap();
    assert_eq!(
        bodies(
            store
                .read_stream("total-b-1", Default::default())
                .await
                .unwrap()
        ),
        [("Result".to_owned(), json!({"n": 2}))]
    );
    assert!(
        store
            .read_stream("total-a-1", Default::default())
            .await
            .unwrap()
            .is_empty()
    );
}

/// From the command line, an API rewind refuses ends `project run` with exit 1 and one
/// line naming the API and the script's line.
#[test]
fn the_command_line_refuses_by_name_with_exit_1() {
    let s = common::Sandbox::new();
    let (code, _, err) = common::run(s.rewind(&["append", "a-1", "T", "--data", "{}"]));
    assert_eq!(code, 0, "{err}");
    let script = s.path("links.js");
    std::fs::write(
        &script,
        "// all links too\noptions({ $includeLinks: true });\nfromAll().when({ $any: (s, e) => s });\n",
    )
    .unwrap();
    let (code, _, err) = common::run(s.rewind(&["project", "run", script.to_str().unwrap()]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("options({ $includeLinks: true }) is not supported by rewind yet")
            && err.contains("line 2"),
        "{err}"
    );
}
