// rewind's script prelude: the EventStoreDB-style projection API, and the entry points
// the Rust side calls. Runs before the user's script, in strict mode, in a sandbox with
// no filesystem, network, module loading, clock or randomness.
(function (global) {
  "use strict";
  const definition = {
    source: { kind: "all" }, partition: { kind: "none" }, handlers: null, output: false, transforms: [],
    options: { includeLinks: false },
  };
  const upcasters = Object.create(null);
  const emitted = [];

  // EventStoreDB APIs rewind does not run yet are refused by name, at the line that
  // calls them, rather than failing as "not a function" or being ignored.
  const unsupported = (name) => () => {
    throw new Error(`${name} is not supported by rewind yet (README: Beside EventStoreDB)`);
  };
  const NOT_YET_HANDLERS = [];
  const methods = {
    foreachStream() { definition.partition = { kind: "stream" }; },
    partitionBy(fn) {
      if (typeof fn !== "function") throw new TypeError("partitionBy needs a function (event => key)");
      definition.partition = { kind: "function", fn };
    },
    when(handlers) {
      if (typeof handlers !== "object" || handlers === null) throw new TypeError("when needs an object of handlers");
      for (const [name, handler] of Object.entries(handlers)) {
        if (NOT_YET_HANDLERS.includes(name)) unsupported(name)();
        if (typeof handler !== "function") throw new TypeError(`handler ${name} is not a function`);
      }
      // EventStoreDB: "$deleted ... can only be used with foreachStream". rewind's streams
      // are never deleted, so it is never called.
      if (handlers.$deleted && definition.partition.kind !== "stream") {
        throw new TypeError("the $deleted handler can only be used with foreachStream()");
      }
      // $initShared makes the projection bi-state (EventStoreDB's AddHandler), which
      // cannot handle deletes.
      if (handlers.$initShared) definition.biState = true;
      if (definition.biState && handlers.$deleted) throw new Error("Cannot handle deletes in bi-state projections");
      definition.handlers = handlers;
    },
    outputState() { definition.output = true; },
    // The result is the state through these, in order (EventStoreDB's
    // TransformStateToResult): transformBy replaces it, filterBy keeps it only where the
    // predicate returns true; null or undefined on the way makes the result null.
    transformBy(fn) {
      if (typeof fn !== "function") throw new TypeError("transformBy needs a function (state => result)");
      definition.transforms.push({ filter: false, fn });
      definition.output = true;
    },
    filterBy(fn) {
      if (typeof fn !== "function") throw new TypeError("filterBy needs a function (state => boolean)");
      definition.transforms.push({ filter: true, fn });
      definition.output = true;
    },
    // outputTo(resultStream[, partitionResultStreamPattern]) (InterpreterRuntime.OutputTo:
    // one or two strings): where the result is written ({0} in the pattern is the
    // partition).
    outputTo(stream, pattern) {
      if (typeof stream !== "string") throw new TypeError("outputTo: the result stream must be a string");
      if (pattern !== undefined && typeof pattern !== "string") throw new TypeError("outputTo: the partition result stream pattern must be a string");
      definition.resultStream = stream;
      if (pattern !== undefined) definition.partitionResultStream = pattern;
      definition.output = true;
    },
  };
  // What may follow what: EventStoreDB's InterpreterRuntime offers only these after each
  // step (RestrictProperties); anything else is refused here by name.
  const FOLLOWS = {
    fromStream: ["when", "partitionBy", "outputState"],
    fromStreams: ["when", "partitionBy", "outputState"],
    fromAll: ["when", "partitionBy", "outputState", "foreachStream"],
    fromCategory: ["when", "partitionBy", "outputState", "foreachStream"],
    when: ["transformBy", "filterBy", "outputState", "outputTo"],
    foreachStream: ["when"],
    partitionBy: ["when"],
    outputState: ["transformBy", "filterBy", "outputTo"],
    transformBy: ["transformBy", "filterBy", "outputState", "outputTo"],
    filterBy: ["transformBy", "filterBy", "outputState", "outputTo"],
    outputTo: [],
  };
  const after = (step) => {
    const next = {};
    for (const name of Object.keys(methods)) {
      next[name] = FOLLOWS[step].includes(name)
        ? (...args) => { methods[name](...args); return after(name); }
        : () => {
          const allowed = FOLLOWS[step].length ? FOLLOWS[step].join(", ") : "nothing";
          throw new TypeError(`${name}() cannot follow ${step}() (after ${step} come ${allowed}), as in EventStoreDB`);
        };
    }
    return next;
  };
  const names = (list, what) => {
    const flat = list.flat();
    if (flat.length === 0 || flat.some((s) => typeof s !== "string")) throw new TypeError(`${what} needs stream ids (strings)`);
    return flat;
  };
  global.fromAll = () => { definition.source = { kind: "all" }; return after("fromAll"); };
  global.fromCategory = (category) => {
    if (typeof category !== "string") throw new TypeError("fromCategory needs a category (a string)");
    definition.source = { kind: "category", category };
    return after("fromCategory");
  };
  // fromCategories(['a', 'b']) or ('a', 'b'): EventStoreDB reads $ce-a and $ce-b, and
  // offers what fromCategory offers.
  global.fromCategories = (...given) => {
    const categories = given.flat();
    if (categories.length === 0 || categories.some((c) => typeof c !== "string")) {
      throw new TypeError("fromCategories needs categories (strings)");
    }
    definition.source = { kind: "categories", categories };
    return after("fromCategory");
  };
  global.fromStream = (stream) => { definition.source = { kind: "streams", streams: names([stream], "fromStream") }; return after("fromStream"); };
  global.fromStreams = (...streams) => { definition.source = { kind: "streams", streams: names(streams, "fromStreams") }; return after("fromStreams"); };
  // A bare when() reads every event (EventStoreDB's default source).
  global.when = (handlers) => { methods.when(handlers); return after("when"); };
  // options({...}): the keys EventStoreDB takes, checked as it checks them
  // (InterpreterRuntime.SetOptions); an unknown key is refused. rewind reads the log in
  // its global order, so reorderEvents and processingLag change nothing here.
  global.options = (given) => {
    if (typeof given !== "object" || given === null) throw new TypeError("options needs an object");
    const kinds = { $includeLinks: "boolean", reorderEvents: "boolean", processingLag: "number", resultStreamName: "string", biState: "boolean" };
    for (const [key, value] of Object.entries(given)) {
      const known = Object.keys(kinds).find((k) => k.toLowerCase() === key.toLowerCase());
      if (!known) throw new Error(`Unrecognized option: ${key}`);
      if (typeof value !== kinds[known]) throw new TypeError(`options: ${known} must be a ${kinds[known]}`);
      if (known === "$includeLinks" && value) unsupported("options({ $includeLinks: true })")();
      if (known === "biState") definition.biState = value;
      if (known === "resultStreamName") definition.resultStream = value;
    }
  };
  // log(...): EventStoreDB writes it to the server's log (one primitive as text, an
  // object as JSON, several joined by ", "); rewind reports it beside the run.
  global.log = (...args) => {
    const text = (v) => (v !== null && typeof v === "object" ? JSON.stringify(v) : String(v));
    if (args.length > 0) emitted.push({ kind: "log", message: args.map(text).join(", ") });
  };
  // linkStreamTo: a `$@` event naming a stream (EventStoreDB's LinkStreamTo: both ids
  // non-empty strings, metadata an object).
  global.linkStreamTo = function (streamId, linkedStreamId, metadata) {
    nonEmpty(streamId, "linkStreamTo", "streamId");
    nonEmpty(linkedStreamId, "linkStreamTo", "linkedStreamId");
    if (arguments.length > 2 && !isObject(metadata)) throw new TypeError("linkStreamTo: metadata must be an object");
    record({ kind: "linkStreamTo", streamId, eventType: "$@", data: linkedStreamId, metadata });
  };
  // copyTo: the event's type and body written to another stream, with its metadata
  // (but keys starting with "$", other than $correlationId) and the given metadata's
  // (but "$" keys), as EventStoreDB's projection prelude copies.
  global.copyTo = function (streamId, event, metadata) {
    nonEmpty(streamId, "copyTo", "streamId");
    if (!isObject(event) || typeof event.eventType !== "string") {
      throw new TypeError("copyTo: the event must be an event (with eventType and body)");
    }
    if (arguments.length > 2 && metadata !== undefined && !isObject(metadata)) {
      throw new TypeError("copyTo: metadata must be an object");
    }
    const merged = {};
    for (const [key, value] of Object.entries(event.metadata || {})) {
      if (!key.startsWith("$") || key === "$correlationId") merged[key] = value;
    }
    for (const [key, value] of Object.entries(metadata || {})) {
      if (!key.startsWith("$")) merged[key] = value;
    }
    const body = isObject(event.body) ? event.body : JSON.parse(event.bodyRaw);
    record({ kind: "emit", streamId, eventType: event.eventType, data: body, metadata: merged });
  };
  // emit and linkTo check their arguments as EventStoreDB's projection runtime does
  // (JintProjectionStateHandler: a stream id and an event type that are non-empty
  // strings, a body and metadata that are objects), so a bad call faults at its line
  // instead of writing a malformed event. Each emitted event carries the event being
  // handled and its number among that event's emits: its id is derived from them, so a
  // re-run writes nothing twice.
  let handling = null;
  let emits = 0;
  const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
  const nonEmpty = (value, fn, name) => {
    if (typeof value !== "string" || value.trim() === "") {
      throw new TypeError(`${fn}: ${name} must be a non-empty string (got ${value === null ? "null" : typeof value})`);
    }
    return value;
  };
  const record = (fields) => {
    emitted.push({ ...fields, causedBy: handling ? handling.eventId : null, index: emits++ });
  };
  global.emit = function (streamId, eventType, data, metadata) {
    if (arguments.length < 3) throw new TypeError("emit(streamId, eventType, body[, metadata]): too few arguments");
    nonEmpty(streamId, "emit", "streamId");
    nonEmpty(eventType, "emit", "eventType");
    if (!isObject(data)) throw new TypeError("emit: the body must be an object");
    if (arguments.length > 3 && !isObject(metadata)) throw new TypeError("emit: metadata must be an object");
    record({ kind: "emit", streamId, eventType, data, metadata });
  };
  global.linkTo = function (streamId, event, metadata) {
    if (arguments.length < 2) throw new TypeError("linkTo(streamId, event[, metadata]): too few arguments");
    nonEmpty(streamId, "linkTo", "streamId");
    if (!isObject(event) || typeof event.sequenceNumber !== "number" || typeof event.streamId !== "string") {
      throw new TypeError("linkTo: the event must be an event (with streamId and sequenceNumber)");
    }
    if (arguments.length > 2 && !isObject(metadata)) throw new TypeError("linkTo: metadata must be an object");
    record({ kind: "linkTo", streamId, eventType: "$>", data: `${event.sequenceNumber}@${event.streamId}`, metadata });
  };

  // Deterministic replays: no clock and no randomness.
  const RealDate = Date;
  const noClock = () => { throw new Error("the clock is not available to rewind scripts (use event.recordedAt)"); };
  function SandboxDate(...args) {
    if (args.length === 0) noClock();
    return new.target ? new RealDate(...args) : RealDate(...args);
  }
  SandboxDate.prototype = RealDate.prototype;
  SandboxDate.now = noClock;
  SandboxDate.parse = RealDate.parse;
  SandboxDate.UTC = RealDate.UTC;
  global.Date = SandboxDate;
  Math.random = () => { throw new Error("Math.random is not available to rewind scripts: replays must be deterministic"); };

  let state;
  let partitions = new Map();
  // A bi-state projection's shared state ($initShared), made when first wanted.
  let shared;
  const sharedState = () => {
    if (shared === undefined) {
      const init = definition.handlers && definition.handlers.$initShared;
      shared = init ? init() : {};
      if (shared === undefined) shared = {};
    }
    return shared;
  };
  let breakpoint = null;
  // For display only: JSON writes NaN and ±Infinity as null, so a state shown in the
  // TUI marks them ({"$rewind:number": "NaN"}) to be drawn as what they are. Results
  // kept or written (checkpoints, CLI output, snapshots) stay plain JSON.
  const shown = (key, value) =>
    typeof value === "number" && !Number.isFinite(value) ? { "$rewind:number": String(value) } : value;
  // fromCategory(c) takes the streams EventStoreDB's $by_category puts in $ce-c: those
  // whose id, up to its first "-", is c (a stream id without "-" has no category there;
  // rewind's envelope gives it its own name as its stream_type, which the store's read
  // uses, so it is left out here).
  const inSource = (event) => {
    // Read through a link: the link's stream was in the source (the runner checked).
    if (event.linkMetadataRaw !== undefined) return true;
    const kind = definition.source.kind;
    if (kind !== "category" && kind !== "categories") return true;
    const dash = event.streamId.indexOf("-");
    if (dash <= 0) return false;
    const category = event.streamId.slice(0, dash);
    return kind === "category" ? category === definition.source.category : definition.source.categories.includes(category);
  };
  // The result of one state (a copy: a transform that changes its argument must not
  // change the state a run goes on from).
  const transformed = (state) => {
    let value = state === undefined ? undefined : JSON.parse(JSON.stringify(state));
    for (const { filter, fn } of definition.transforms) {
      if (filter) {
        if (fn(value) !== true) return null;
      } else {
        value = fn(value);
      }
      if (value === null || value === undefined) return null;
    }
    return value;
  };
  const keyOf = (event) => {
    if (definition.partition.kind === "stream") return event.streamId;
    if (definition.partition.kind === "function") {
      const k = definition.partition.fn(event);
      return k === undefined || k === null ? undefined : String(k);
    }
    return "";
  };
  const initial = () => {
    const handlers = definition.handlers || {};
    const init = handlers.$init ? handlers.$init() : {};
    return init === undefined ? {} : init;
  };
  const rewind = {
    defineUpcaster(eventType, fn) {
      if (typeof fn !== "function") throw new TypeError(`the upcaster for ${eventType} defines no function upcast(data, schemaVersion, event)`);
      upcasters[eventType] = fn;
    },
    definition() {
      if (!definition.handlers) throw new Error("the script defines no handlers: call when({...})");
      return JSON.stringify({
        source: definition.source,
        partition: definition.partition.kind,
        output: definition.output,
        resultStream: definition.resultStream || null,
        partitionResultStream: definition.partitionResultStream || null,
        transforms: definition.transforms.length,
        types: Object.keys(definition.handlers),
      });
    },
    reset(stateJson) { state = stateJson === undefined ? initial() : JSON.parse(stateJson); },
    prepare(eventJson) { return rewind.upcastEvent(JSON.parse(eventJson)); },
    upcastEvent(event) {
      const upcast = upcasters[event.eventType];
      if (upcast) {
        const data = upcast(event.data, event.schemaVersion, event);
        if (data !== undefined) event.data = data;
      }
      event.body = event.data;
      return event;
    },
    fold(event) {
      if (upcasters[event.eventType]) rewind.upcastEvent(event);
      const handlers = definition.handlers;
      const handler = handlers[event.eventType] || handlers.$any;
      if (!handler) return;
      const result = handler(state, event);
      if (result !== undefined) state = result;
    },
    upcast(eventJson) { return JSON.stringify(rewind.prepare(eventJson).data); },
    hasUpcaster(eventType) { return eventType in upcasters; },
    state(display) { return JSON.stringify(state === undefined ? null : state, display ? shown : undefined); },
    emitted() { return JSON.stringify(emitted.splice(0)); },

    // Projections: a state per partition ("" when the projection is not partitioned);
    // a bi-state projection's result is [that, the shared state].
    resetPartitions(resultJson) {
      partitions = new Map();
      shared = undefined;
      if (resultJson === undefined) return;
      let result = JSON.parse(resultJson);
      if (definition.biState) {
        shared = result[1];
        result = result[0];
      }
      if (definition.partition.kind === "none") partitions.set("", result);
      else for (const [key, value] of Object.entries(result)) partitions.set(key, value);
    },
    // Folds one event into its partition; false when no handler took it.
    project(event) {
      if (!inSource(event)) return false;
      if (upcasters[event.eventType]) rewind.upcastEvent(event);
      const handlers = definition.handlers;
      const handler = handlers[event.eventType] || handlers.$any;
      if (!handler) return false;
      const key = keyOf(event);
      if (key === undefined) return false;
      // As in EventStoreDB, a partitioned projection's handler sees its partition.
      if (definition.partition.kind !== "none") event.partition = key;
      const created = !partitions.has(key);
      const before = created ? initial() : partitions.get(key);
      handling = event;
      emits = 0;
      let result;
      // Bi-state: the handler gets [the partition's state, the shared state] (s[0],
      // s[1]) and may change either or return a new pair.
      const given = definition.biState ? [before, sharedState()] : before;
      try {
        // A new partition: EventStoreDB calls $created with its initial state and the
        // event that created it (what it returns is not kept), then the handler.
        if (created && handlers.$created && definition.partition.kind !== "none") handlers.$created(given, event);
        result = handler(given, event);
      } finally {
        handling = null;
      }
      const next = result === undefined ? given : result;
      if (definition.biState) {
        if (!Array.isArray(next)) throw new TypeError("a bi-state handler returns [state, sharedState] (or nothing)");
        partitions.set(key, next[0]);
        shared = next[1];
      } else {
        partitions.set(key, next);
      }
      return true;
    },
    // One event, reporting its partition's state before and after (JSON text).
    step(event) {
      if (upcasters[event.eventType]) rewind.upcastEvent(event);
      const key = keyOf(event);
      const stateOf = () => (key !== undefined && partitions.has(key) ? partitions.get(key) : null);
      const before = JSON.stringify(stateOf(), shown);
      const handled = rewind.project(event);
      return JSON.stringify({ partition: key === undefined ? null : key, before: JSON.parse(before), after: stateOf(), handled }, shown);
    },
    // A breakpoint predicate over (state, event), given as a JS function's source.
    setBreakpoint(source) { breakpoint = source ? (0, eval)("(" + source + ")") : null; if (breakpoint !== null && typeof breakpoint !== "function") throw new TypeError("a breakpoint must be a function (state, event) => boolean"); },
    breaksAt(event) {
      if (!breakpoint) return false;
      const key = keyOf(event);
      const state = key !== undefined && partitions.has(key) ? partitions.get(key) : initial();
      return !!breakpoint(state, event);
    },
    // The state (mode 0), the state for display (1), or the result: the state through
    // transformBy and filterBy (2), per partition.
    result(mode) {
      const replacer = mode === 1 ? shown : undefined;
      const out = mode === 2 && definition.transforms.length ? transformed : (s) => s;
      const states = definition.partition.kind !== "none"
        ? Object.fromEntries([...partitions].map(([key, state]) => [key, out(state)]))
        : out(partitions.has("") ? partitions.get("") : initial());
      return JSON.stringify(definition.biState ? [states, sharedState()] : states, replacer);
    },
    partitionCount() { return partitions.size; },
  };
  Object.defineProperty(global, "__rewind", { value: Object.freeze(rewind) });
})(globalThis);
