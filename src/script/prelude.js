// rewind's script prelude: the EventStoreDB-style projection API, and the entry points
// the Rust side calls. Runs before the user's script, in strict mode, in a sandbox with
// no filesystem, network, module loading, clock or randomness.
(function (global) {
  "use strict";
  const definition = { source: { kind: "all" }, partition: { kind: "none" }, handlers: null, output: false };
  const upcasters = Object.create(null);
  const emitted = [];

  const api = {
    foreachStream() { definition.partition = { kind: "stream" }; return api; },
    partitionBy(fn) {
      if (typeof fn !== "function") throw new TypeError("partitionBy needs a function (event => key)");
      definition.partition = { kind: "function", fn };
      return api;
    },
    when(handlers) {
      if (typeof handlers !== "object" || handlers === null) throw new TypeError("when needs an object of handlers");
      for (const [name, handler] of Object.entries(handlers)) {
        if (typeof handler !== "function") throw new TypeError(`handler ${name} is not a function`);
      }
      definition.handlers = handlers;
      return api;
    },
    outputState() { definition.output = true; return api; },
  };
  const names = (list, what) => {
    const flat = list.flat();
    if (flat.length === 0 || flat.some((s) => typeof s !== "string")) throw new TypeError(`${what} needs stream ids (strings)`);
    return flat;
  };
  global.fromAll = () => { definition.source = { kind: "all" }; return api; };
  global.fromCategory = (category) => {
    if (typeof category !== "string") throw new TypeError("fromCategory needs a category (a string)");
    definition.source = { kind: "category", category };
    return api;
  };
  global.fromStream = (stream) => { definition.source = { kind: "streams", streams: names([stream], "fromStream") }; return api; };
  global.fromStreams = (...streams) => { definition.source = { kind: "streams", streams: names(streams, "fromStreams") }; return api; };
  global.when = (handlers) => api.when(handlers);
  global.emit = (streamId, eventType, data, metadata) => { emitted.push({ kind: "emit", streamId, eventType, data, metadata }); };
  global.linkTo = (streamId, event, metadata) => {
    emitted.push({ kind: "linkTo", streamId, eventType: "$>", data: `${event.sequenceNumber}@${event.streamId}`, metadata });
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
  let breakpoint = null;
  // For display only: JSON writes NaN and ±Infinity as null, so a state shown in the
  // TUI marks them ({"$rewind:number": "NaN"}) to be drawn as what they are. Results
  // kept or written (checkpoints, CLI output, snapshots) stay plain JSON.
  const shown = (key, value) =>
    typeof value === "number" && !Number.isFinite(value) ? { "$rewind:number": String(value) } : value;
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

    // Projections: a state per partition ("" when the projection is not partitioned).
    resetPartitions(resultJson) {
      partitions = new Map();
      if (resultJson === undefined) return;
      const result = JSON.parse(resultJson);
      if (definition.partition.kind === "none") partitions.set("", result);
      else for (const [key, value] of Object.entries(result)) partitions.set(key, value);
    },
    // Folds one event into its partition; false when no handler took it.
    project(event) {
      if (upcasters[event.eventType]) rewind.upcastEvent(event);
      const handlers = definition.handlers;
      const handler = handlers[event.eventType] || handlers.$any;
      if (!handler) return false;
      const key = keyOf(event);
      if (key === undefined) return false;
      const before = partitions.has(key) ? partitions.get(key) : initial();
      const result = handler(before, event);
      partitions.set(key, result === undefined ? before : result);
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
    result(display) {
      const replacer = display ? shown : undefined;
      if (definition.partition.kind !== "none") return JSON.stringify(Object.fromEntries(partitions), replacer);
      return JSON.stringify(partitions.has("") ? partitions.get("") : initial(), replacer);
    },
    partitionCount() { return partitions.size; },
  };
  Object.defineProperty(global, "__rewind", { value: Object.freeze(rewind) });
})(globalThis);
