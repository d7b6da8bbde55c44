export type Command =
  | { name: "spec" }
  | { name: "check"; config: string }
  | { name: "discover"; config: string }
  | { name: "write"; config: string; catalog: string }
  | { name: "preview"; config: string; catalog: string; limit: number; send?: SendOptions }
  | { name: "redrive"; config: string; catalog: string; syncId: string; stream?: string; dryRun: boolean }
  | { name: "help" };

/** `preview --send N [--json]`: send the first N rows that compose, and report what SQS did with them. */
export interface SendOptions {
  rows: number;
  json: boolean;
}

export const USAGE = `Usage: destination-sqs <command> [options]

Commands:
  spec                                     print the connector specification (Airbyte SPEC message)
  check --config CONFIG                    test the credentials and the queue; prints CONNECTION_STATUS
  discover --config CONFIG                 list the queues this configuration can write to and the row
                                           fields it reads (Airbyte data activation: DESTINATION_CATALOG)
  write --config CONFIG --catalog CATALOG  publish the Airbyte messages read on stdin to SQS
  preview --config CONFIG --catalog CATALOG [--limit N]
                                           show the SQS messages the first N records read on stdin
                                           would become (default 10), without sending anything
  preview --config CONFIG --catalog CATALOG --send N [--json]
                                           send the first N rows that compose, for real, and report
                                           what SQS did with each and what each target queue's
                                           settings mean for them (--json: one JSON document)
  redrive --config CONFIG --catalog CATALOG --sync SYNC_ID [--stream STREAM] [--dry-run]
                                           send again the rows of sync SYNC_ID that were rejected, as
                                           recorded in object_storage_config, through the current
                                           configuration; --dry-run shows the messages and sends nothing
  --help                                   show this help

CONFIG is a JSON file matching spec.json; CATALOG is a ConfiguredAirbyteCatalog JSON file.`;

export class UsageError extends Error {}

/** The options: what value each needs (none for a switch), and the one command it belongs to, if only one. */
const OPTIONS: Readonly<Record<string, { value?: string; onlyFor?: Command["name"] }>> = {
  config: { value: "a file path" },
  catalog: { value: "a file path" },
  limit: { value: "a number", onlyFor: "preview" },
  send: { value: "a number", onlyFor: "preview" },
  json: { onlyFor: "preview" },
  sync: { value: "a sync id (the folder under object_storage_config.bucket_path)", onlyFor: "redrive" },
  stream: { value: "a stream name", onlyFor: "redrive" },
  "dry-run": { onlyFor: "redrive" },
};

/** Parses the command line. Throws UsageError with a sentence saying what is missing or unknown. */
export function parseArgs(argv: string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("No command given.");
  if (command === "--help" || command === "-h" || command === "help") return { name: "help" };
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (flag === "--help" || flag === "-h") return { name: "help" };
    const [key, inlineValue] = flag.startsWith("--") ? flag.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    const option = key !== undefined && Object.hasOwn(OPTIONS, key) ? OPTIONS[key] : undefined;
    if (option === undefined) throw new UsageError(`Unknown option "${flag}".`);
    if (option.onlyFor !== undefined && command !== option.onlyFor) {
      throw new UsageError(`Option --${key} only applies to the ${option.onlyFor} command.`);
    }
    if (option.value === undefined) {
      if (inlineValue !== undefined) throw new UsageError(`Option --${key} takes no value.`);
      flags.set(key!, "");
      continue;
    }
    const value = inlineValue ?? rest[++i];
    if (value === undefined || value === "") throw new UsageError(`Option --${key} needs ${option.value}.`);
    flags.set(key!, value);
  }
  const required = (key: string): string => {
    const value = flags.get(key);
    if (value === undefined) throw new UsageError(`The ${command} command needs --${key} ${key === "sync" ? "SYNC_ID" : "FILE"}.`);
    return value;
  };
  if (flags.has("json") && !flags.has("send")) throw new UsageError("Option --json only applies to preview --send N.");
  if (flags.has("limit") && flags.has("send")) {
    throw new UsageError("Options --limit and --send do not go together: --send N reads records until N rows compose, and sends those.");
  }
  switch (command) {
    case "spec":
      return { name: "spec" };
    case "check":
      return { name: "check", config: required("config") };
    case "discover":
      return { name: "discover", config: required("config") };
    case "write":
      return { name: "write", config: required("config"), catalog: required("catalog") };
    case "preview":
      return {
        name: "preview",
        config: required("config"),
        catalog: required("catalog"),
        limit: previewLimit(flags.get("limit")),
        ...(flags.has("send") ? { send: { rows: wholeNumber("--send", "rows", flags.get("send")!), json: flags.has("json") } } : {}),
      };
    case "redrive": {
      const stream = flags.get("stream");
      return {
        name: "redrive",
        config: required("config"),
        catalog: required("catalog"),
        syncId: required("sync"),
        ...(stream === undefined ? {} : { stream }),
        dryRun: flags.has("dry-run"),
      };
    }
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

const DEFAULT_PREVIEW_LIMIT = 10;

function previewLimit(text: string | undefined): number {
  return text === undefined ? DEFAULT_PREVIEW_LIMIT : wholeNumber("--limit", "records", text);
}

function wholeNumber(option: string, of: string, text: string): number {
  if (!/^[1-9][0-9]*$/.test(text)) throw new UsageError(`Option ${option} needs a whole number of ${of}, 1 or more; got "${text}".`);
  return Number(text);
}
