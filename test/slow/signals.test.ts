// More signals than the fast tier's (test/signals.test.ts): SIGINT with batches in flight, and SIGTERM
// during a queue lookup that never answers.
import { describe } from "node:test";
import { fauxqsServerForSuite } from "../helpers/emulators.js";
import { testSignalWithBatchesInFlight, testSigtermDuringSilentWait } from "../helpers/signals.js";

const server = fauxqsServerForSuite();

testSignalWithBatchesInFlight("SIGINT", server);

describe("a signal ends the sync whatever it is waiting for", () => {
  testSigtermDuringSilentWait("a queue lookup", {});
});
