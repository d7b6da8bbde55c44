// More write runs of the queue-host rules than the fast tier's (test/queue-hosts.test.ts): a dead-letter
// queue URL naming another host is refused at start, and a queue URL from a column as fauxqs hands it out.
import { after, before, describe, test } from "node:test";
import { startFauxqs, uniqueQueueName, type Emulator } from "../helpers/emulators.js";
import { startCaptures, type CapturingEndpoint } from "../helpers/fake-endpoints.js";
import { assertWriteReaches, assertWriteRefusesForeignQueue } from "../helpers/queue-hosts.js";

describe("queue URLs in more settings (fauxqs)", () => {
  let fauxqs: Emulator;
  let attacker: CapturingEndpoint;
  before(async () => {
    fauxqs = await startFauxqs();
    attacker = await startCaptures();
  });
  after(async () => {
    await attacker.stop();
    await fauxqs.stop();
  });

  test("without an endpoint, write fails at start with a config error when rejected_rows.queue_url names another host", async () => {
    await assertWriteRefusesForeignQueue(attacker, (foreign) => ({
      queue: { source: "static", value: "orders" },
      rejected_rows: { policy: "dead_letter", queue_url: foreign },
    }));
  });

  test("a queue URL on sqs.<region>.localhost from a column receives the rows", async () => {
    const queueUrl = await fauxqs.createQueue(uniqueQueueName("orders"));
    await assertWriteReaches(fauxqs, queueUrl, { source: "column", column: "queue" }, [{ id: 3, queue: queueUrl }]);
  });
});
