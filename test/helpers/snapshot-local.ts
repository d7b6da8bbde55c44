// Syncs with the snapshot store on disk (state_directory), against an emulator: a queue, a state
// directory, and what the syncs published, read back with the change each was published as.
import assert from "node:assert/strict";
import { catalogOf, recordLine, stateLine } from "./airbyte.js";
import { runCli, writeTempJson, type CliResult } from "./cli.js";
import { emulatorConfig, emulatorConfigFile, uniqueQueueName, type Emulator } from "./emulators.js";
import { writeInProcess } from "./in-process.js";
import { tempDirectory } from "./temp-directory.js";

export type Row = Record<string, unknown> & { id: number };

export interface Published {
  change: string;
  row: Row;
  previous: Row | null;
}

const BODY = '{"change":"{{ change }}","row":{{ row | json }},"previous":{{ previous | json }}}';
export const STREAM = "customers";
export const fullRefresh = writeTempJson(catalogOf([{ name: STREAM, primaryKey: [["id"]], syncMode: "full_refresh" }]));

export function customer(id: number, name: string, extra: Record<string, unknown> = {}): Row {
  return { id, name, ...extra };
}

export function inputOf(rows: Row[], ...extraLines: string[]): string {
  return [...rows.map((row) => recordLine(STREAM, row)), ...extraLines, stateLine({ done: true })].join("\n") + "\n";
}

/**
 * A queue, a state directory and a way to run syncs into them and read what they published:
 * `sync` runs the write in process, `syncCli` runs the built CLI.
 */
export async function snapshotConnection(emulator: Emulator, snapshot: Record<string, unknown> = {}) {
  const queueName = uniqueQueueName("snapshot");
  const queueUrl = await emulator.createQueue(queueName);
  const stateDirectory = tempDirectory("snapshot");
  const settingsOf = (settings: Record<string, unknown> = {}, extraSnapshot: Record<string, unknown> = {}): Record<string, unknown> => ({
    queue: { source: "static", value: queueName },
    message_body: { format: "template", template: BODY },
    change_detection: { mode: "snapshot", state_directory: stateDirectory, ...snapshot, ...extraSnapshot },
    ...settings,
  });
  const configFile = (settings: Record<string, unknown> = {}): string => emulatorConfigFile(emulator.endpoint, settingsOf(settings));
  return {
    stateDirectory,
    configFile,
    sync(input: string, settings: Record<string, unknown> = {}, extraSnapshot: Record<string, unknown> = {}, catalog = fullRefresh) {
      return writeInProcess(emulatorConfig(emulator, settingsOf(settings, extraSnapshot)), catalog, input);
    },
    async syncCli(input: string): Promise<CliResult> {
      const result = await runCli(["write", "--config", configFile(), "--catalog", fullRefresh], { stdin: input });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      return result;
    },
    /** Everything published since the last call, sorted by change and id. */
    async published(expected?: number): Promise<Published[]> {
      const received = await emulator.receiveAll(queueUrl, expected === undefined ? {} : { expected });
      return sortPublished(received.map((message) => JSON.parse(message.body) as Published));
    },
  };
}

function sortPublished(messages: Published[]): Published[] {
  return messages.sort((a, b) => a.change.localeCompare(b.change) || a.row.id - b.row.id);
}
