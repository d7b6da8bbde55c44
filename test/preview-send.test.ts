// preview --send: rows sent for real, SQS's answer per row, and what each target queue's settings
// mean for them. Through the built CLI, against the emulators.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseArgs, UsageError } from "../src/cli-args.js";
import { queueFindings, type QueueSample } from "../src/commands/queue-findings.js";
import { refusalInContext } from "../src/commands/queue-inspection.js";
import { recordLine, stateLine } from "./helpers/airbyte.js";
import { testConfig } from "./helpers/config.js";
import { forEachEmulator, freePort, uniqueQueueName } from "./helpers/emulators.js";
import { startFaultProxy } from "./helpers/fault-proxy.js";
import { findingText, orderLine, runSend, sendJson } from "./helpers/preview-send.js";
import { tempDirectory } from "./helpers/temp-directory.js";

const ATTRIBUTE = { name: "source", data_type: "String", value: { source: "static", value: "crm-ü" } };

forEachEmulator("preview --send", (context) => {
  test("FIFO queues with and without content-based deduplication, per row from a queue column: each row's receipt, and which id deduplicates (--json)", async () => {
    const { emulator } = context;
    const withContent = uniqueQueueName("content", true);
    const withoutContent = uniqueQueueName("explicit", true);
    const withContentUrl = await emulator.createQueue(withContent, { ContentBasedDeduplication: "true" });
    const withoutContentUrl = await emulator.createQueue(withoutContent);
    const { code, report } = await sendJson(
      emulator.endpoint,
      {
        queue_type: "fifo",
        queue: { source: "column", column: "queue" },
        message_group_id: { source: "column", column: "tenant" },
        message_attributes: [ATTRIBUTE],
      },
      [
        recordLine("customers", { id: "0" }),
        orderLine({ id: "1", tenant: "acme", queue: withContent }),
        stateLine({ at: 1 }),
        orderLine({ id: "2", tenant: "acme", queue: withoutContent }),
        orderLine({ id: "3", tenant: "acme", queue: withContent }),
        orderLine({ id: "4", tenant: "acme", queue: withContent }),
      ],
      3,
    );
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    assert.deepEqual(report.summary, { sent: 3, stored: 3, not_stored: 0, not_sent: 1 });
    assert.match(report.not_sent[0]!.reason, /Stream "customers" is not in the configured catalog/);
    assert.deepEqual(
      report.rows.map((row) => [row.message_id, row.queue_url, row.primary_key, row.change, row.group_id, row.outcome]),
      [
        ["1", withContentUrl, ["1"], "added", "acme", "stored"],
        ["2", withoutContentUrl, ["2"], "added", "acme", "stored"],
        ["3", withContentUrl, ["3"], "added", "acme", "stored"],
      ],
    );
    for (const row of report.rows) {
      assert.ok(row.sqs_message_id, "SQS's MessageId");
      assert.match(row.sequence_number ?? "", /^\d+$/, "FIFO SequenceNumber");
      assert.equal(row.md5_of_body?.matches, true);
      assert.equal(row.md5_of_attributes?.matches, true);
      assert.match(row.dedup_id ?? "", /^[0-9a-f]{64}$/);
      assert.deepEqual(row.attributes, { source: { data_type: "String", value: "crm-ü" } });
    }
    assert.equal(report.queues.length, 2);
    const on = report.queues.find((queue) => queue.queue_url === withContentUrl)!;
    const off = report.queues.find((queue) => queue.queue_url === withoutContentUrl)!;
    assert.deepEqual(on.deduplication, {
      id: "MessageDeduplicationId",
      from: "default",
      content_based_deduplication: true,
      window_seconds: 300,
      scope: "queue",
    });
    assert.equal(off.deduplication?.content_based_deduplication, false);
    assert.match(
      findingText(report, withContentUrl, "deduplication"),
      /MessageDeduplicationId the connector sends, from the connector's default/,
    );
    assert.match(
      findingText(report, withContentUrl, "deduplication"),
      /Content-based deduplication is on, but an explicit id takes precedence/,
    );
    assert.match(findingText(report, withContentUrl, "deduplication"), /within the last 5 minutes/);
    assert.match(findingText(report, withoutContentUrl, "deduplication"), /Content-based deduplication is off/);
    assert.match(findingText(report, withContentUrl, "type"), /A FIFO queue, as queue_type "fifo"/);
    assert.match(
      findingText(report, withContentUrl, "throughput"),
      /these 2 rows carry 1 distinct message group id\b.*consumers cannot work in parallel/,
    );
    assert.match(findingText(report, withContentUrl, "redrive"), /No redrive policy/);

    const received = await emulator.receiveAll(withContentUrl, { expected: 2 });
    assert.deepEqual(
      received.map((message) => message.sqsMessageId).sort(),
      [report.rows[0]!.sqs_message_id, report.rows[2]!.sqs_message_id].sort(),
    );
  });

  test("a queue with a small MaximumMessageSize: warned before sending, then the large row is refused with SQS's code and the explanation (exit 1)", async () => {
    const { emulator } = context;
    const name = uniqueQueueName("small");
    await emulator.createQueue(name, { MaximumMessageSize: "1024" });
    const result = await runSend(
      emulator.endpoint,
      { queue: { source: "static", value: name } },
      [orderLine({ id: "small" }), orderLine({ id: "large", text: "x".repeat(2000) })],
      2,
    );
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stdout,
      /WARN {2}MaximumMessageSize is 1024 bytes and the largest of these rows' messages \(body and attributes\) is 2024 bytes/,
    );
    assert.match(result.stdout, /Row 1 \(input line 1, stream orders\): stored/);
    assert.match(result.stdout, /Row 2 \(input line 2, stream orders\): REFUSED/);
    assert.match(result.stdout, /SQS code +InvalidParameterValue/);
    assert.match(
      result.stdout,
      /why +The message is 2024 bytes \(body and attributes\), over the queue's MaximumMessageSize of 1024 bytes\. To fix it, set max_message_bytes to 1024 so rows over it are rejected before sending/,
    );
    assert.match(result.stdout, /Sent 2 rows: 1 stored as sent, 1 not\. No STATE was echoed/);
    assert.doesNotMatch(result.stdout, /\n\s+at /, "no stack trace");
  });

  test("an answer whose MD5s do not match what was sent is reported as such (exit 1)", async () => {
    const { emulator } = context;
    const name = uniqueQueueName("md5");
    await emulator.createQueue(name);
    const proxy = await startFaultProxy({ target: emulator.endpoint, seed: 1, faultRate: 1, faults: ["altered_md5"] });
    try {
      const { code, report } = await sendJson(
        proxy.endpoint,
        { queue: { source: "static", value: name }, message_attributes: [ATTRIBUTE] },
        [orderLine({ id: "1" })],
        1,
      );
      assert.equal(code, 1);
      const [row] = report.rows;
      assert.equal(row?.outcome, "md5_mismatch");
      assert.equal(row?.md5_of_body?.matches, false);
      assert.equal(row?.md5_of_attributes?.matches, false);
      assert.notEqual(row?.md5_of_body?.sent, row?.md5_of_body?.answered);
    } finally {
      await proxy.stop();
    }
  });

  test("snapshot mode: rows are sent as added, and the snapshot store is neither read nor written", async () => {
    const { emulator } = context;
    const name = uniqueQueueName("snapshot");
    await emulator.createQueue(name);
    const directory = tempDirectory("snapshot-store");
    const { code, report } = await sendJson(
      emulator.endpoint,
      { queue: { source: "static", value: name }, change_detection: { mode: "snapshot", store: { type: "local", directory } } },
      [orderLine({ name: "no key" }), orderLine({ id: "1" })],
      1,
    );
    assert.equal(code, 0, JSON.stringify(report));
    assert.equal(report.rows[0]?.change, "added");
    assert.match(
      report.not_sent[0]?.reason ?? "",
      /The primary key column "id" is missing/,
      "a row without its key is rejected as a sync rejects it",
    );
    assert.deepEqual(readdirSync(join(directory)), []);
  });
});

test("an endpoint nothing answers on: the queue could not be inspected, the row is refused with the code and what to check, at once (exit 1)", async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const { code, report } = await sendJson(
    endpoint,
    { queue: { source: "static", value: `${endpoint}/000000000000/orders` } },
    [orderLine({ id: "1" })],
    1,
  );
  assert.equal(code, 1);
  assert.match(
    report.queues[0]?.findings[0]?.text ?? "",
    /^Could not read the queue's attributes: could not reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
  );
  assert.equal(report.rows[0]?.error?.code, "ECONNREFUSED");
  assert.match(report.rows[0]?.error?.explanation ?? "", /^No answer from SQS: check the region and the endpoint/);
});

describe("preview --send arguments", () => {
  test("--send takes a positive whole number, --json only goes with it, and --limit does not", () => {
    assert.deepEqual(parseArgs(["preview", "--config", "c", "--catalog", "k", "--send", "1", "--json"]), {
      name: "preview",
      config: "c",
      catalog: "k",
      limit: 10,
      send: { rows: 1, json: true },
    });
    assert.deepEqual(parseArgs(["preview", "--config", "c", "--catalog", "k", "--send=3"]).name, "preview");
    for (const bad of ["0", "-1", "1.5", "all"]) {
      assert.throws(() => parseArgs(["preview", "--config", "c", "--catalog", "k", "--send", bad]), /--send needs a whole number of rows/);
    }
    assert.throws(() => parseArgs(["preview", "--config", "c", "--catalog", "k", "--json"]), /--json only applies to preview --send/);
    assert.throws(() => parseArgs(["preview", "--config", "c", "--catalog", "k", "--send", "1", "--limit", "2"]), UsageError);
    assert.throws(() => parseArgs(["write", "--config", "c", "--catalog", "k", "--send", "1"]), /only applies to the preview command/);
  });
});

describe("queue findings", () => {
  const sample: QueueSample = { rows: 3, largestBytes: 100, groupIds: new Set(["a", "b", "c"]) };

  test("a KMS key names the key and the permissions senders need; a delay and a redrive policy are described", () => {
    const findings = queueFindings(
      {
        KmsMasterKeyId: "alias/orders-key",
        DelaySeconds: "30",
        MaximumMessageSize: "1048576",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:orders-dlq", maxReceiveCount: 5 }),
      },
      sample,
      testConfig(),
      undefined,
    );
    const text = (topic: string) => findings.find((finding) => finding.topic === topic)?.text ?? "";
    assert.match(
      text("encryption"),
      /KMS key alias\/orders-key: the connector's credentials need kms:GenerateDataKey and kms:Decrypt on that key/,
    );
    assert.match(text("delay"), /DelaySeconds is 30: consumers can receive each message only 30 s after it is stored/);
    assert.match(text("redrive"), /5 times moves to the dead-letter queue arn:aws:sqs:us-east-1:123456789012:orders-dlq/);
    assert.equal(
      findings.find((finding) => finding.topic === "throughput"),
      undefined,
      "standard queues have no throughput mode",
    );
  });

  test("a refusal by the queue's KMS key names the key; one over MaximumMessageSize names both sizes", () => {
    const inspection = { queue_url: "q", attributes: { KmsMasterKeyId: "alias/orders-key", MaximumMessageSize: "1024" }, findings: [] };
    const kms = refusalInContext(
      { code: "KMS.AccessDeniedException", explanation: "Grant kms:GenerateDataKey and kms:Decrypt." },
      10,
      inspection,
      testConfig(),
    );
    assert.equal(kms, "Grant kms:GenerateDataKey and kms:Decrypt. The queue's KMS key is alias/orders-key.");
    const oversize = refusalInContext({ code: "InvalidParameterValue", explanation: "generic" }, 2000, inspection, testConfig());
    assert.match(oversize, /^The message is 2000 bytes \(body and attributes\), over the queue's MaximumMessageSize of 1024 bytes\./);
    assert.equal(refusalInContext({ code: "AccessDenied", explanation: "generic" }, 10, inspection, testConfig()), "generic");
  });

  test("FIFO per-queue throughput with several groups suggests high throughput; a static deduplication id is a warning", () => {
    const config = testConfig({
      queue_type: "fifo",
      message_group_id: { source: "column", column: "tenant" },
      message_deduplication_id: { source: "static", value: "same" },
    });
    const attributes = { FifoQueue: "true", FifoThroughputLimit: "perQueue", DeduplicationScope: "queue" };
    const findings = queueFindings(attributes, sample, config, {
      id: "MessageDeduplicationId",
      from: "message_deduplication_id",
      content_based_deduplication: false,
      window_seconds: 300,
      scope: "queue",
    });
    const throughput = findings.find((finding) => finding.topic === "throughput");
    assert.match(
      throughput?.text ?? "",
      /Per-queue throughput mode .* these 3 rows carry 3 distinct message group ids\. For more, set FifoThroughputLimit perMessageGroupId/,
    );
    const deduplication = findings.find((finding) => finding.topic === "deduplication");
    assert.equal(deduplication?.level, "warning");
    assert.match(deduplication?.text ?? "", /from message_deduplication_id \(static "same"\).*Every row gets the same id "same"/);
  });
});
