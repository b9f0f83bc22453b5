// Appends events to an Emmett PostgreSQL event store with Emmett's own appendToStream.
// usage: node emmett.mjs URL < lines (see batches.mjs)
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { readBatches } from './batches.mjs';

const store = getPostgreSQLEventStore(process.argv[2]);
for (const { stream, events } of await readBatches(process.stdin)) {
  await store.appendToStream(stream, events);
}
await store.close();
