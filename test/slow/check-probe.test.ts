// check's probe object in the large-message bucket, written while S3 answers too late: check fails,
// and the probe it may have left behind is named (it was deleted once; the late write can land after).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { runCheck } from "../../src/commands/check.js";
import { emulatorConfig, startFauxqs, uniqueQueueName } from "../helpers/emulators.js";
import { startFaultProxy } from "../helpers/fault-proxy.js";
import { createBucket, listKeys } from "../helpers/snapshot-s3.js";

/** Past check's 5 s request timeout. */
const DELAY_MS = 6500;

test("a probe write stored but answered too late: check fails and names the object it may have left", async () => {
  const fauxqs = await startFauxqs();
  const proxy = await startFaultProxy({
    target: fauxqs.endpoint,
    seed: 1,
    faultRate: 1,
    maxFaults: 1,
    faults: ["delay"],
    delayMs: DELAY_MS,
    requests: "s3_put_object",
  });
  try {
    const queue = uniqueQueueName("probe");
    await fauxqs.createQueue(queue);
    const bucket = await createBucket(fauxqs.endpoint);
    const result = await runCheck(
      emulatorConfig(fauxqs, {
        queue: { source: "static", value: queue },
        large_messages: { policy: "s3", bucket, prefix: "payloads/", endpoint: proxy.endpoint, force_path_style: true },
      }),
    );
    assert.equal(result.status, "FAILED", result.message);
    // The held write reaches S3 once its delay is over.
    await sleep(DELAY_MS);
    const left = await listKeys(fauxqs.endpoint, bucket, "payloads/");
    for (const key of left)
      assert.ok(result.message.includes(`The probe object ${key} may still be stored`), `${key} is named: ${result.message}`);
    assert.match(result.message, /The probe object payloads\/destination-sqs-check-[0-9a-f-]+ may still be stored/);
  } finally {
    await proxy.stop();
    await fauxqs.stop();
  }
});
