// A snapshot journal in S3 holding one 200 MB line (204 KB compressed), read under the heap the image
// gives a 512 MiB container: the sync fails naming the object, releases its lock and removes its
// working directory, instead of running out of heap.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { catalogOf, errorTraceOf, recordLine, stateLine } from "../helpers/airbyte.js";
import { runCli, writeTempJson } from "../helpers/cli.js";
import { emulatorConfigFile, startFauxqs, uniqueQueueName, type Emulator } from "../helpers/emulators.js";
import { testS3Client } from "../helpers/s3.js";
import { createBucket, listKeys } from "../helpers/snapshot-s3.js";

let fauxqs: Emulator;
before(async () => {
  fauxqs = await startFauxqs();
});
after(async () => {
  await fauxqs?.stop();
});

const STREAM = "orders";
const catalog = writeTempJson(catalogOf([{ name: STREAM, primaryKey: [["id"]], syncMode: "full_refresh" }]));
const input =
  [1, 2, 3, 4, 5]
    .map((id) => recordLine(STREAM, { id }))
    .concat(stateLine({ done: true }))
    .join("\n") + "\n";

test("a journal line of 200 MB under a 256 MB heap: a config error naming the object, the lock released, the working directory removed", async () => {
  const queue = uniqueQueueName("journal-heap");
  await fauxqs.createQueue(queue);
  const bucket = await createBucket(fauxqs.endpoint);
  const prefix = "conn1/";
  const config = emulatorConfigFile(fauxqs.endpoint, {
    queue: { source: "static", value: queue },
    change_detection: { mode: "snapshot", store: { type: "s3", bucket, prefix, endpoint: fauxqs.endpoint, force_path_style: true } },
  });
  const pod = mkdtempSync(join(tmpdir(), "destination-sqs-pod-"));
  try {
    const env = { HOME: pod, TMPDIR: pod, NODE_OPTIONS: "--max-old-space-size=256" };
    const baseline = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: input, env });
    assert.equal(baseline.code, 0, baseline.stdout + baseline.stderr);

    const key = `${prefix}journal/0000000000001-evil-000001.jsonl.gz`;
    const s3 = testS3Client(fauxqs.endpoint);
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(Buffer.alloc(200 * 1024 * 1024, "x"), { level: 1 }) }));
    } finally {
      s3.destroy();
    }
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { stdin: input, env, timeoutMs: 120_000 });
    assert.equal(result.code, 1, result.stdout.slice(0, 2000) + result.stderr.slice(0, 2000));
    assert.equal(result.stderr, "", "no heap abort, no stack trace");
    const trace = errorTraceOf(result.messages);
    assert.equal(trace?.failure_type, "config_error");
    assert.match(
      trace?.message ?? "",
      new RegExp(`journal object ${key.replace(/\./g, "\\.")} in bucket "${bucket}" is not readable \\(line 1 is longer than`),
    );
    assert.ok(!(await listKeys(fauxqs.endpoint, bucket, prefix)).includes(`${prefix}lock.json`), "the lock is released");
    assert.deepEqual(
      readdirSync(pod).filter((name) => name.startsWith("destination-sqs-snapshot-")),
      [],
      "the working directory is removed",
    );
  } finally {
    rmSync(pod, { recursive: true, force: true });
  }
});
