// Airbyte asks destinations to checkpoint at least every 15 minutes. The connector echoes a STATE
// once SQS has stored the rows before it, whatever the snapshot store's commit schedule: with a
// fake clock, a source that sends a STATE every 10 minutes gets each one back before the next
// minute of fake time passes, with commits every minute, every 5 minutes (the default) or once a day.
import assert from "node:assert/strict";
import { PassThrough, Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { openChangeDetector } from "../src/changes/detector.js";
import { validateConfig } from "../src/config/load.js";
import { loadCatalog } from "../src/protocol/catalog.js";
import { MessageWriter } from "../src/protocol/output.js";
import { runWrite } from "../src/commands/write.js";
import { catalogOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { writeTempJson } from "./helpers/cli.js";
import { testSettings } from "./helpers/config.js";
import { eventually, FakeSender } from "./helpers/delivery-fakes.js";
import { type Emulator, startFauxqs } from "./helpers/emulators.js";
import { ANY_QUEUE_HOST } from "./helpers/in-process.js";
import { testS3Client } from "./helpers/s3.js";
import { createBucket, listKeys } from "./helpers/snapshot-s3.js";

const QUEUE_URL = "http://127.0.0.1:1/123456789012/orders";
const MINUTE = 60_000;
/** How often the source in these tests sends a STATE. */
const STATE_EVERY = 10 * MINUTE;
const CHECKPOINT_LIMIT = 15 * MINUTE;
const ROUNDS = 4;

describe("a STATE is echoed at least every 15 minutes whatever the snapshot commit schedule", () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startFauxqs();
  });
  after(() => emulator.stop());

  for (const commitEveryMs of [MINUTE, 5 * MINUTE, 24 * 60 * MINUTE]) {
    test(`snapshot store in S3 committing every ${commitEveryMs / MINUTE} minutes`, async (t) => {
      const bucket = await createBucket(emulator.endpoint);
      const prefix = "checkpoints/";
      const config = validateConfig(
        testSettings({
          queue: { source: "static", value: QUEUE_URL },
          change_detection: {
            mode: "snapshot",
            store: { type: "s3", bucket, prefix, endpoint: emulator.endpoint, force_path_style: true },
          },
        }),
        "the test config",
      );
      const catalog = loadCatalog(writeTempJson(catalogOf([{ name: "orders", primaryKey: [["id"]], syncMode: "incremental" }])));
      // The snapshot home's schedule (setInterval) and its clock (Date) are fake; I/O and short timers are real.
      t.mock.timers.enable({ apis: ["setInterval", "Date"], now: Date.now() });
      const s3 = testS3Client(emulator.endpoint);
      t.after(() => s3.destroy());
      const detector = await openChangeDetector(config, catalog.values(), {
        s3: () => s3,
        timing: { commitEveryMs, leaseMs: 5 * MINUTE },
        log: async () => undefined,
      });

      const echoedAt: number[] = [];
      const stdout = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString("utf8").split("\n")) if (line.includes('"type":"STATE"')) echoedAt.push(Date.now());
          done();
        },
      });
      const input = new PassThrough();
      const run = runWrite({
        config,
        catalog,
        input,
        writer: new MessageWriter(stdout),
        sender: new FakeSender(),
        resolveQueue: async () => QUEUE_URL,
        checkQueueUrl: ANY_QUEUE_HOST,
        detector,
      });

      const sentAt: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const records = Array.from({ length: 50 }, (_, index) => recordLine("orders", { id: round * 50 + index, round }));
        sentAt.push(Date.now());
        input.write(`${records.join("\n")}\n${stateLine({ round })}\n`);
        await eventually(() => echoedAt.length === round + 1);
        // Ten minutes pass before the source's next STATE; the store's schedule runs meanwhile.
        for (let minute = 0; minute < STATE_EVERY / MINUTE; minute++) t.mock.timers.tick(MINUTE);
      }
      const committedDuringSync = (await listKeys(emulator.endpoint, bucket, prefix)).some((key) => key.endsWith("manifest.json"));
      input.end();
      await run;

      assert.equal(echoedAt.length, ROUNDS);
      echoedAt.forEach((at, round) => {
        const waited = at - sentAt[round]!;
        assert.ok(waited < MINUTE, `STATE ${round} was echoed ${waited / MINUTE} minutes after it arrived`);
        assert.ok(waited < CHECKPOINT_LIMIT);
      });
      // The commits follow their own schedule: none yet with a daily one, some with the others.
      assert.equal(committedDuringSync, commitEveryMs < ROUNDS * STATE_EVERY);
    });
  }
});
