// Reads the writers' input: one JSON line an event, {"stream", "type", "data", "metadata"?},
// into batches of consecutive events of one stream (one appendToStream call each).
import { createInterface } from 'node:readline';

export async function readBatches(input) {
  const batches = [];
  for await (const line of createInterface({ input })) {
    if (!line.trim()) continue;
    const e = JSON.parse(line);
    const event = { type: e.type, data: e.data, ...(e.metadata ? { metadata: e.metadata } : {}) };
    const last = batches[batches.length - 1];
    if (last && last.stream === e.stream) last.events.push(event);
    else batches.push({ stream: e.stream, events: [event] });
  }
  return batches;
}
