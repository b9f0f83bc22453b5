// Appends events to an Emmett SQLite event store with Emmett's own appendToStream.
// usage: node emmett-sqlite.mjs FILE < lines (see ../batches.mjs)
import { getSQLiteEventStore } from '@event-driven-io/emmett-sqlite';
import { readBatches } from '../batches.mjs';

const store = getSQLiteEventStore({ fileName: process.argv[2] });
for (const { stream, events } of await readBatches(process.stdin)) {
  await store.appendToStream(stream, events);
}
