// More write runs of the queue-host rules than the fast tier's (test/queue-hosts.test.ts): a dead-letter
// queue URL naming another host is refused at start, and a queue URL from a column as fauxqs hands it out.
import { describe, test } from "node:test";
import { uniqueQueueName } from "../helpers/emulators.js";
import { assertWriteReaches, assertWriteRefusesForeignQueue, fauxqsAndAttacker } from "../helpers/queue-hosts.js";

describe("queue URLs in more settings (fauxqs)", () => {
  const running = fauxqsAndAttacker();

  test("without an endpoint, write fails at start with a config error when rejected_rows.queue_url names another host", async () => {
    await assertWriteRefusesForeignQueue(running.attacker, (foreign) => ({
      queue: { source: "static", value: "orders" },
      rejected_rows: { policy: "dead_letter", queue_url: foreign },
    }));
  });

  test("a queue URL on sqs.<region>.localhost from a column receives the rows", async () => {
    const queueUrl = await running.fauxqs.createQueue(uniqueQueueName("orders"));
    await assertWriteReaches(running.fauxqs, queueUrl, { source: "column", column: "queue" }, [{ id: 3, queue: queueUrl }]);
  });
});
