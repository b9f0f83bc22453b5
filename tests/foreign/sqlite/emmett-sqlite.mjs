// Appends events to an Emmett SQLite event store with Emmett's own appendToStream.
// usage: node emmett-sqlite.mjs FILE < lines
// Each stdin line: {"stream": "...", "type": "...", "data": {...}, "metadata": {...}?}
// Consecutive lines of one stream go in one appendToStream call (one transaction).
import { getSQLiteEventStore } from '@event-driven-io/emmett-sqlite';
import { createInterface } from 'node:readline';

const store = getSQLiteEventStore({ fileName: process.argv[2] });
const batches = [];
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const e = JSON.parse(line);
  const event = { type: e.type, data: e.data, ...(e.metadata ? { metadata: e.metadata } : {}) };
  const last = batches[batches.length - 1];
  if (last && last.stream === e.stream) last.events.push(event);
  else batches.push({ stream: e.stream, events: [event] });
}
for (const { stream, events } of batches) {
  await store.appendToStream(stream, events);
}
