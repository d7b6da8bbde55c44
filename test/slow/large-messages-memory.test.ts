// Large bodies must not make the connector's memory grow with its input: 200 rows of 5 MB each go
// through S3 (a local endpoint that stores nothing) while the connector's peak RSS stays bounded.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { describeRun, PEOPLE_CATALOG, STREAM } from "../helpers/compose-e2e.js";
import { stateLine, statesOf } from "../helpers/airbyte.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { emulatorConfigFile, startFauxqs, uniqueQueueName } from "../helpers/emulators.js";

const ROWS = 200;
const BODY_TEXT_BYTES = 5 * 1024 * 1024;
/** Far below the 1 GB of bodies the run reads, with room for the delivery buffer and the uploads in flight. */
const MAX_RSS_BYTES = 560 * 1024 * 1024;

/** Answers every S3 request with success, reading and dropping object bodies: it holds nothing. */
async function startDiscardingS3(): Promise<{ endpoint: string; puts: () => number; stop(): Promise<void> }> {
  let puts = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.on("data", () => {});
    request.on("end", () => {
      if (request.method === "PUT") puts++;
      response.writeHead(200, { ETag: '"discarded"', "Content-Length": "0" });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    puts: () => puts,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Each line in three pieces, so that the test itself does not build 1 GB of strings. */
async function* largeRows(): AsyncGenerator<string> {
  const text = "x".repeat(BODY_TEXT_BYTES);
  for (let index = 0; index < ROWS; index++) {
    yield `{"type":"RECORD","record":{"stream":"${STREAM}","data":{"id":"row-${index}","text":"`;
    yield text;
    yield `"},"emitted_at":1700000000000}}\n`;
  }
  yield stateLine({ done: true }) + "\n";
}

test(`${ROWS} rows of 5 MB go through S3 with the connector's peak RSS under ${MAX_RSS_BYTES / 1024 / 1024} MB`, {
  timeout: 300_000,
}, async () => {
  const emulator = await startFauxqs();
  const s3 = await startDiscardingS3();
  try {
    const queueName = uniqueQueueName("memory");
    await emulator.createQueue(queueName);
    const config = emulatorConfigFile(emulator.endpoint, {
      queue: { source: "static", value: queueName },
      message_id: { source: "column", column: "id" },
      large_messages: { policy: "s3", bucket: "payloads", endpoint: s3.endpoint, force_path_style: true },
    });
    const result = await runCli(["write", "--config", config, "--catalog", PEOPLE_CATALOG], {
      stdin: largeRows(),
      env: { NODE_OPTIONS: `--require ${join(REPO_ROOT, "test", "helpers", "report-max-rss.cjs")}` },
      timeoutMs: 280_000,
    });
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(statesOf(result.messages).length, 1);
    assert.equal(s3.puts(), ROWS);
    const maxRssKb = Number(/MAX_RSS_KB=(\d+)/.exec(result.stderr)?.[1]);
    assert.ok(maxRssKb > 0, `the connector reported its peak RSS\n${result.stderr}`);
    assert.ok(maxRssKb * 1024 < MAX_RSS_BYTES, `peak RSS ${Math.round(maxRssKb / 1024)} MB`);
    process.stdout.write(`# peak RSS of the connector: ${Math.round(maxRssKb / 1024)} MB\n`);
  } finally {
    await s3.stop();
    await emulator.stop();
  }
});
