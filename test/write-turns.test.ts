import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { test } from "node:test";
import { validateConfig } from "../src/config/load.js";
import { loadCatalog } from "../src/protocol/catalog.js";
import { MessageWriter } from "../src/protocol/output.js";
import type { BatchEntry, BatchSender } from "../src/delivery/types.js";
import { runWrite } from "../src/commands/write.js";
import type { WriteObserver } from "../src/write/types.js";
import { catalogOf, recordLine, stateLine } from "./helpers/airbyte.js";
import { writeTempJson } from "./helpers/cli.js";
import { FakeSender, succeedAll } from "./helpers/delivery-fakes.js";
import { ANY_QUEUE_HOST, openDetector } from "./helpers/in-process.js";
import { testSettings } from "./helpers/config.js";

const QUEUE_URL = "http://127.0.0.1:1/123456789012/orders";

test("the reader lets the event loop turn every 64 records, so answers from SQS are read while input keeps coming", async () => {
  const config = validateConfig(testSettings({ queue: { source: "static", value: QUEUE_URL } }), "the test config");
  // One chunk holding every line: without turns, all of them would be handled before anything else ran.
  const input = Buffer.from(`${Array.from({ length: 1000 }, (_, id) => recordLine("orders", { id })).join("\n")}\n`);
  let recordsRead = 0;
  const observer: WriteObserver = { recordRead: () => void recordsRead++, skipped() {}, published() {}, rejected() {} };
  const readAtEachTurn: number[] = [];
  let watching = true;
  const watch = (): void => {
    readAtEachTurn.push(recordsRead);
    if (watching) setImmediate(watch);
  };
  setImmediate(watch);
  try {
    const catalog = loadCatalog(writeTempJson(catalogOf([{ name: "orders" }])));
    await runWrite({
      config,
      catalog,
      input: Readable.from([input]),
      writer: new MessageWriter(new Writable({ write: (_chunk, _encoding, done) => done() })),
      sender: new FakeSender(),
      resolveQueue: async () => QUEUE_URL,
      checkQueueUrl: ANY_QUEUE_HOST,
      detector: await openDetector(config, catalog),
      observer,
    });
  } finally {
    watching = false;
  }
  assert.equal(recordsRead, 1000);
  const mostInOneTurn = Math.max(...readAtEachTurn.map((read, turn) => read - (readAtEachTurn[turn - 1] ?? 0)));
  assert.ok(mostInOneTurn <= 64, `${mostInOneTurn} records were read in one turn of the event loop`);
});

test("a stdout that takes nothing pauses the reader: STATE lines do not pile up in memory", async () => {
  const config = validateConfig(testSettings({ queue: { source: "static", value: QUEUE_URL } }), "the test config");
  // A STATE after every record: each acknowledged record releases a STATE line to stdout.
  const lines = Array.from({ length: 2000 }, (_, id) => [recordLine("orders", { id }), stateLine({ at: id })]).flat();
  let recordsRead = 0;
  const observer: WriteObserver = { recordRead: () => void recordsRead++, skipped() {}, published() {}, rejected() {} };
  let release: (() => void) | undefined;
  const blocked = new Promise<void>((resolve) => {
    release = resolve;
  });
  // Takes the first line, then holds every write until released, as a stdout nobody reads does.
  let writes = 0;
  const stdout = new Writable({
    highWaterMark: 1024,
    write: (_chunk, _encoding, done) => {
      if (++writes === 1) done();
      else void blocked.then(() => done());
    },
  });
  const catalog = loadCatalog(writeTempJson(catalogOf([{ name: "orders" }])));
  const run = runWrite({
    config,
    catalog,
    input: Readable.from([Buffer.from(`${lines.join("\n")}\n`)]),
    writer: new MessageWriter(stdout),
    sender: new FakeSender(),
    resolveQueue: async () => QUEUE_URL,
    checkQueueUrl: ANY_QUEUE_HOST,
    detector: await openDetector(config, catalog),
    observer,
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const readWhileBlocked = recordsRead;
  release?.();
  await run;
  assert.ok(readWhileBlocked < 2000, `the reader read all ${readWhileBlocked} records while stdout took nothing`);
  assert.equal(recordsRead, 2000);
});

test("dead letters wait for room like every message: a burst of rejected rows pauses the reader", async () => {
  const config = validateConfig(
    testSettings({
      queue: { source: "static", value: QUEUE_URL },
      delay_seconds: { source: "column", column: "delay" },
      rejected_rows: { policy: "dead_letter", queue_url: `${QUEUE_URL}-rejected` },
      max_in_flight: 1,
    }),
    "the test config",
  );
  // Every row is rejected (delay 901), so every row becomes a dead letter.
  const rows = 8000;
  const lines = [...Array.from({ length: rows }, (_, id) => recordLine("orders", { id, delay: 901 })), stateLine({ done: true })];
  let recordsRead = 0;
  const observer: WriteObserver = { recordRead: () => void recordsRead++, skipped() {}, published() {}, rejected() {} };
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const delivered: BatchEntry[] = [];
  const sender: BatchSender = {
    async sendBatch(_queueUrl, entries) {
      await opened;
      delivered.push(...entries);
      return succeedAll(entries);
    },
  };
  const catalog = loadCatalog(writeTempJson(catalogOf([{ name: "orders" }])));
  const run = runWrite({
    config,
    catalog,
    input: Readable.from([Buffer.from(`${lines.join("\n")}\n`)]),
    writer: new MessageWriter(new Writable({ write: (_chunk, _encoding, done) => done() })),
    sender,
    resolveQueue: async () => QUEUE_URL,
    checkQueueUrl: ANY_QUEUE_HOST,
    detector: await openDetector(config, catalog),
    observer,
  });
  // Until the reader stops reading (or has read everything), at most 200 looks 20 ms apart.
  let previous = -1;
  for (let look = 0; look < 200 && recordsRead !== previous && recordsRead < rows; look++) {
    previous = recordsRead;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const readWhileBlocked = recordsRead;
  open();
  await run;
  assert.ok(readWhileBlocked < rows, `the reader read all ${readWhileBlocked} records while no dead letter could be sent`);
  assert.equal(delivered.length, rows);
});
