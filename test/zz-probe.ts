import { startFauxqs } from "fauxqs";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
const s = await startFauxqs({ port: 0, logger: false, host: "127.0.0.1" });
s.createQueue("orders");
writeFileSync("/tmp/rel/config.json", JSON.stringify({ region: "us-east-1", endpoint: s.address, credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "SECRETXYZ" }, queue: { source: "static", value: "orders" } }));
writeFileSync("/tmp/rel/catalog.json", JSON.stringify({ streams: [{ stream: { name: "orders", json_schema: {} }, sync_mode: "incremental", destination_sync_mode: "append" }] }));
const rec = (data: string) => `{"type":"RECORD","record":{"stream":"orders","data":${data},"emitted_at":1}}`;
const cases: Record<string, Buffer | string> = {
  deep: rec('{"a":' + "[".repeat(100000) + "]".repeat(100000) + "}") + "\n",
  bigint: rec('{"id":12345678901234567890}') + "\n",
  proto: rec('{"__proto__":{"polluted":1},"id":1}') + "\n",
  invalidUtf8: Buffer.concat([Buffer.from(rec('{"s":"a')), Buffer.from([0xff, 0xfe]), Buffer.from('"}') , Buffer.from("\n")]),
  noNewline: rec('{"id":2}'),
  truncatedEnd: rec('{"id":2}').slice(0, 30),
  empty: "",
};
for (const [name, input] of Object.entries(cases)) {
  const r = spawnSync("node", ["dist/main.js", "write", "--config", "/tmp/rel/config.json", "--catalog", "/tmp/rel/catalog.json"], { input, encoding: "utf8" });
  console.log("==", name, r.status, r.stdout.slice(0, 600), r.stderr.slice(0, 300));
}
console.log(JSON.stringify(s.inspectQueue("orders")).slice(0, 1500));
await s.stop();
