// More signals than the fast tier's (test/signals.test.ts): SIGINT with batches in flight, and SIGTERM
// during a queue lookup that never answers.
import { after, before, describe } from "node:test";
import { startFauxqs } from "fauxqs";
import { testSignalWithBatchesInFlight, testSigtermDuringSilentWait } from "../helpers/signals.js";

let server: Awaited<ReturnType<typeof startFauxqs>>;
before(async () => {
  server = await startFauxqs({ port: 0, logger: false });
});
after(async () => {
  await server.stop();
});

testSignalWithBatchesInFlight("SIGINT", () => server);

describe("a signal ends the sync whatever it is waiting for", () => {
  testSigtermDuringSilentWait("a queue lookup", {});
});
