// preview --send's longer scenarios: a KMS-keyed queue, a body offloaded to S3, exit statuses, and
// (moto's IAM enforcement) credentials that may not read a queue's attributes, or may not send.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { catalogOf } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { accessKeyCredentials, type IamUser } from "../helpers/iam.js";
import { forEachEmulator, uniqueQueueName, withMoto } from "../helpers/emulators.js";
import { largeSettings, setUp, THRESHOLD } from "../helpers/large-messages-e2e.js";
import { findingText, orderLine, runSend, sendJson } from "../helpers/preview-send.js";

forEachEmulator("preview --send, slow", (context) => {
  test("a KMS-keyed queue: the report names the key and the permissions senders need, and the row is stored", async () => {
    const { emulator } = context;
    const name = uniqueQueueName("kms");
    const queueUrl = await emulator.createQueue(name, { KmsMasterKeyId: "alias/orders-key" });
    const { code, report } = await sendJson(emulator.endpoint, { queue: { source: "static", value: name } }, [orderLine({ id: "1" })], 1);
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    assert.equal(report.rows[0]?.outcome, "stored");
    assert.match(
      findingText(report, queueUrl, "encryption"),
      /KMS key alias\/orders-key: .*kms:GenerateDataKey and kms:Decrypt on that key/,
    );
  });

  test("a body offloaded to S3: the row shows the S3 pointer, and the MD5 checked is the pointer's", async () => {
    const { emulator } = context;
    const setup = await setUp(emulator);
    const { code, report } = await sendJson(
      emulator.endpoint,
      largeSettings(emulator, setup),
      [orderLine({ id: "big", text: "x".repeat(THRESHOLD) })],
      1,
    );
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    const [row] = report.rows;
    assert.equal(row?.outcome, "stored");
    assert.match(row?.offloaded_to ?? "", new RegExp(`^s3://${setup.bucket}/destination-sqs/`));
    assert.ok((row?.sent_body_bytes ?? Infinity) < THRESHOLD, "SQS got the pointer, not the body");
    assert.equal(row?.md5_of_body?.matches, true);
    assert.equal(row?.md5_of_attributes?.matches, true, "the pointer's size attribute is hashed as sent");
  });

  test("exit statuses: 0 when every row sent was stored, 1 when no row composed or a queue is missing, 2 for bad usage", async () => {
    const { emulator } = context;
    const name = uniqueQueueName("exit");
    await emulator.createQueue(name);
    const stored = await runSend(emulator.endpoint, { queue: { source: "static", value: name } }, [orderLine({ id: "1" })], 1);
    assert.equal(stored.code, 0, stored.stdout);
    assert.match(stored.stdout, /Sent 1 row: 1 stored as sent, 0 not\./);

    const none = await runSend(
      emulator.endpoint,
      { queue: { source: "static", value: name }, message_body: { format: "column", column: "payload" } },
      [orderLine({ id: "1", payload: "not json" })],
      1,
    );
    assert.equal(none.code, 1, none.stdout);
    assert.match(none.stdout, /Not sent: input line 1 \(stream orders\), rejected: Row with message id "1" was rejected/);
    assert.match(none.stdout, /Sent 0 rows/);

    const missing = await sendJson(
      emulator.endpoint,
      { queue: { source: "column", column: "queue" } },
      [orderLine({ id: "1", queue: name }), orderLine({ id: "2", queue: "no-such-queue" })],
      2,
    );
    assert.equal(missing.code, 1);
    assert.deepEqual(
      missing.report.rows.map((row) => row.outcome),
      ["stored", "refused"],
    );
    assert.equal(missing.report.rows[1]?.error?.code, "QueueDoesNotExist");
    assert.match(missing.report.rows[1]?.error?.explanation ?? "", /Queue "no-such-queue" \(queue\) was not found in region us-east-1/);

    const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
    const usage = await runCli(["preview", "--config", catalog, "--catalog", catalog, "--send", "none"], { output: "text" });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Option --send needs a whole number of rows/);
  });
});

withMoto("preview --send with IAM enforced", (context) => {
  let cannotInspect: IamUser;
  let cannotSend: IamUser;
  before(async () => {
    const { emulator } = context;
    cannotInspect = await emulator.createUser("cannot-inspect", ["sqs:SendMessage", "sqs:SendMessageBatch", "sqs:ListQueues"]);
    cannotSend = await emulator.createUser("cannot-send", ["sqs:GetQueueAttributes", "sqs:ListQueues"]);
    await emulator.enforceAuth();
  });

  test("without sqs:GetQueueAttributes the report says what it could not see and which permission shows it, and the row is still sent", async () => {
    const { emulator } = context;
    const name = uniqueQueueName("uninspected");
    const queueUrl = await emulator.createQueue(name);
    const { code, report } = await sendJson(
      emulator.endpoint,
      { queue: { source: "static", value: name }, credentials: accessKeyCredentials(cannotInspect) },
      [orderLine({ id: "1" })],
      1,
    );
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    assert.equal(report.rows[0]?.outcome, "stored");
    assert.match(
      findingText(report, queueUrl, "attributes"),
      /Could not read the queue's attributes \(AccessDenied\): the credentials may not call sqs:GetQueueAttributes on it, so its type, deduplication, MaximumMessageSize, encryption \(KMS key\), DelaySeconds, FIFO throughput mode and redrive policy could not be checked; grant sqs:GetQueueAttributes to see them\. The rows are sent all the same\./,
    );
    assert.equal(report.queues[0]?.attributes, undefined);
  });

  test("credentials that may list and inspect the queue but not send: the row is refused with SQS's code and what to grant (exit 1)", async () => {
    const { emulator } = context;
    const name = uniqueQueueName("unsendable");
    await emulator.createQueue(name);
    const result = await runSend(
      emulator.endpoint,
      { queue: { source: "static", value: name }, credentials: accessKeyCredentials(cannotSend) },
      [orderLine({ id: "1" })],
      1,
    );
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /SQS code +AccessDenied/);
    assert.match(result.stdout, /why +Grant sqs:SendMessage on this queue to the connector's credentials/);
    assert.doesNotMatch(result.stdout, /\n\s+at /, "no stack trace");
  });
});
