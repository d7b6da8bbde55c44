// SIGTERM and SIGINT mid-write, with stdin a pipe that stays open and batches stuck in flight:
// the connector exits promptly, non-zero, and echoes no STATE whose records were not acknowledged.
// SIGINT, and SIGTERM during a plain queue lookup, are in test/slow/signals.test.ts.
import { describe } from "node:test";
import { fauxqsServerForSuite } from "./helpers/emulators.js";
import { testSignalWithBatchesInFlight, testSigtermDuringSilentWait } from "./helpers/signals.js";

const server = fauxqsServerForSuite();

testSignalWithBatchesInFlight("SIGTERM", server);

describe("a signal ends the sync whatever it is waiting for", () => {
  testSigtermDuringSilentWait("a role assumption", { role_arn: "arn:aws:iam::123456789012:role/writer" });
  // The alert a failed sync sends goes to the same silent endpoint, after the write has stopped:
  // the process does not wait for it (nor for its 5 s timeout) to exit.
  testSigtermDuringSilentWait("a queue lookup, then an alert,", { alerts: { webhook_url: "http://127.0.0.1/hook", on_failure: true } });
});
