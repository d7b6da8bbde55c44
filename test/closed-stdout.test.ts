// A reader that closes stdout early (`write … | head -c 100`): the connector exits quietly with a
// non-zero status, without a stack trace.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { catalogOf, recordLine } from "./helpers/airbyte.js";
import { REPO_ROOT, writeTempJson } from "./helpers/cli.js";
import { emulatorConfigFile } from "./helpers/emulators.js";

test("a closed stdout ends the run quietly with a non-zero status", async () => {
  const config = emulatorConfigFile("http://127.0.0.1:9", { queue: { source: "static", value: "orders" } });
  const catalog = writeTempJson(catalogOf([{ name: "orders" }]));
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, "dist", "main.js"), "preview", "--config", config, "--catalog", catalog, "--limit", "100000"],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.on("error", () => undefined);
  // Like `head -c 100`: read a little, then close the pipe.
  child.stdout.once("data", () => child.stdout.destroy());
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const rows = Array.from({ length: 20_000 }, (_, id) => recordLine("orders", { id, text: "x".repeat(100) })).join("\n");
  child.stdin.end(`${rows}\n`);
  const code = await exited;
  clearTimeout(killer);
  assert.notEqual(code, null, "the connector exits by itself");
  assert.notEqual(code, 0);
  assert.equal(stderr, "");
});
