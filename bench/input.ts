// Benchmark input: Airbyte RECORD lines of ~250 bytes (one STATE every 1,000 records), the
// catalog, and connector configs pointing at the bench endpoint.

import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { open } from "node:fs/promises";

export const STREAM = "users";
const STATE_EVERY = 1000;
const FIRST_NAMES = ["John", "Maria", "Wei", "Aisha", "Lars", "Sofía", "Kenji", "Olga"];
const LAST_NAMES = ["Doe", "García", "Chen", "Okafor", "Nilsson", "O'Brien", "Tanaka", "Ivanova"];
const PLANS = ["free", "starter", "business", "enterprise"];

/** The reference page's JSON-editor example, plus the row's id (the endpoint checks FIFO order with it). */
export const HIGHTOUCH_TEMPLATE =
  '{"id": {{row.id}}, "name": "{{row.full_name}}", "age": {{row.age}}, "contact_info": [' +
  '{"type": "email", "value": "{{row.email_address}}"}, {"type": "phone", "value": "{{row.phone_number}}"}]}';

export function recordData(id: number, groups: number): Record<string, unknown> {
  const first = FIRST_NAMES[id % FIRST_NAMES.length]!;
  const last = LAST_NAMES[(id >> 3) % LAST_NAMES.length]!;
  return {
    id,
    full_name: `${first} ${last}`,
    age: 18 + (id % 60),
    email_address: `${first.toLowerCase()}.${id}@example.com`,
    phone_number: `+1415${String(1_000_000 + (id % 9_000_000)).padStart(7, "0")}`,
    account_id: `acct-${id % groups}`,
    plan: PLANS[id % PLANS.length],
    lifetime_value: Math.round((id % 10_000) * 3.7) / 10,
    updated_at: new Date(1_700_000_000_000 + id * 1000).toISOString(),
  };
}

/** Writes `records` RECORD lines (account_id spread over `groups` values) with STATE lines between. */
export async function writeInput(path: string, records: number, groups = 1000): Promise<void> {
  const out = createWriteStream(path);
  let chunk = "";
  for (let id = 1; id <= records; id++) {
    const record = { stream: STREAM, emitted_at: 1_700_000_000_000, data: recordData(id, groups) };
    chunk += `${JSON.stringify({ type: "RECORD", record })}\n`;
    if (id % STATE_EVERY === 0 || id === records) {
      chunk += `${JSON.stringify({ type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: { name: STREAM }, stream_state: { cursor: id } } } })}\n`;
    }
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
  // Written to disk now, not while the first scenarios run.
  const written = await open(path, "r");
  await written.sync();
  await written.close();
}

export function catalog(): object {
  return {
    streams: [
      {
        stream: { name: STREAM, json_schema: { type: "object" }, supported_sync_modes: ["incremental"] },
        sync_mode: "incremental",
        destination_sync_mode: "append_dedup",
        primary_key: [["id"]],
      },
    ],
  };
}

export interface ScenarioConfig {
  fifo?: boolean;
  changeDetection?: object;
  maxInFlight?: number;
  concurrency?: "adaptive" | "fixed";
  requestTimeoutSeconds?: number;
  /** object_storage_config, with sync_results. */
  syncResults?: { storage: object; setting: "rejected" | "all" };
}

export function connectorConfig(
  endpoint: string,
  { fifo = false, changeDetection, maxInFlight = 64, concurrency, requestTimeoutSeconds, syncResults }: ScenarioConfig = {},
): object {
  return {
    region: "us-east-1",
    endpoint,
    credentials: { auth_type: "access_key", access_key_id: "bench", secret_access_key: "bench" },
    queue_type: fifo ? "fifo" : "standard",
    queue: { source: "static", value: fifo ? "bench.fifo" : "bench" },
    message_body: { format: "template", template: HIGHTOUCH_TEMPLATE },
    max_in_flight: maxInFlight,
    ...(concurrency ? { concurrency } : {}),
    ...(requestTimeoutSeconds ? { request_timeout_seconds: requestTimeoutSeconds } : {}),
    ...(fifo ? { message_group_id: { source: "column", column: "account_id" } } : {}),
    ...(changeDetection ? { change_detection: changeDetection } : {}),
    ...(syncResults ? { object_storage_config: syncResults.storage, sync_results: syncResults.setting } : {}),
  };
}
