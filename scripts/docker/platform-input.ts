// Input for the container test shaped as the Airbyte platform sends it (see test/helpers/platform.ts):
// three interleaved streams, two of them the same name in two namespaces, records with meta.changes,
// and a STREAM state with the source's count and the platform's id after every STATE_EVERY records
// of a stream (and after each stream's last).
// `clear-catalog` and `clear-messages` are a "Clear data" job of the same streams.
// Usage: node --import tsx scripts/docker/platform-input.ts catalog | clear-catalog | clear-messages
//        node --import tsx scripts/docker/platform-input.ts messages RECORDS STATE_EVERY
import {
  clearCatalog,
  clearSequence,
  platformCatalog,
  platformRecord,
  streamStateLine,
  type PlatformStream,
} from "../../test/helpers/platform.js";

const STREAMS: PlatformStream[] = [
  { name: "orders", namespace: "shop", primaryKey: [["id"]] },
  { name: "users", namespace: "eu", primaryKey: [["id"]] },
  { name: "users", namespace: "us", primaryKey: [["id"]] },
];
const CHANGES = { changes: [{ field: "email", change: "NULLED", reason: "SOURCE_RETRIEVAL_ERROR" }] };

const [command, records, stateEvery] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
if (command === "catalog") {
  process.stdout.write(JSON.stringify(platformCatalog(STREAMS, { syncId: 9001, generationId: 1 })) + "\n");
} else if (command === "clear-catalog") {
  process.stdout.write(JSON.stringify(clearCatalog(STREAMS)) + "\n");
} else if (command === "clear-messages") {
  process.stdout.write(clearSequence(STREAMS).join("\n") + "\n");
} else if (command === "messages" && records > 0 && stateEvery > 0) {
  const lines: string[] = [];
  const sinceState = STREAMS.map(() => 0);
  let stateId = 0;
  for (let id = 1; id <= records; id++) {
    const index = id % STREAMS.length;
    const stream = STREAMS[index]!;
    lines.push(platformRecord(stream, { id, name: `row-${id}`, email: null }, id % 7 === 0 ? CHANGES : undefined));
    sinceState[index]!++;
    if (sinceState[index] === stateEvery) {
      lines.push(streamStateLine(stream, { last_id: id }, sinceState[index], ++stateId));
      sinceState[index] = 0;
    }
  }
  STREAMS.forEach((stream, index) => {
    if (sinceState[index]! > 0) lines.push(streamStateLine(stream, { last_id: records }, sinceState[index], ++stateId));
  });
  process.stdout.write(lines.join("\n") + "\n");
} else {
  throw new Error("usage: platform-input.ts catalog | clear-catalog | clear-messages | messages RECORDS STATE_EVERY");
}
