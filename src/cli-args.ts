export type Command =
  | { name: "spec" }
  | { name: "check"; config: string }
  | { name: "discover"; config: string }
  | { name: "write"; config: string; catalog: string }
  | { name: "preview"; config: string; catalog: string; limit: number; send?: SendOptions }
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
  --help                                   show this help

CONFIG is a JSON file matching spec.json; CATALOG is a ConfiguredAirbyteCatalog JSON file.`;

export class UsageError extends Error {}

/** Parses the command line. Throws UsageError with a sentence saying what is missing or unknown. */
export function parseArgs(argv: string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("No command given.");
  if (command === "--help" || command === "-h" || command === "help") return { name: "help" };
  const flags = new Map<string, string>();
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (flag === "--help" || flag === "-h") return { name: "help" };
    if (flag === "--json") {
      json = true;
      continue;
    }
    const [key, inlineValue] = flag.startsWith("--") ? flag.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    if (key !== "config" && key !== "catalog" && key !== "limit" && key !== "send") throw new UsageError(`Unknown option "${flag}".`);
    const value = inlineValue ?? rest[++i];
    if (value === undefined || value === "") {
      throw new UsageError(`Option --${key} needs ${NUMBER_OPTIONS.has(key) ? "a number" : "a file path"}.`);
    }
    flags.set(key, value);
  }
  const required = (key: string): string => {
    const value = flags.get(key);
    if (value === undefined) throw new UsageError(`The ${command} command needs --${key} FILE.`);
    return value;
  };
  for (const option of ["limit", "send"]) {
    if (flags.has(option) && command !== "preview") throw new UsageError(`Option --${option} only applies to the preview command.`);
  }
  if (json && !flags.has("send")) throw new UsageError("Option --json only applies to preview --send N.");
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
        ...(flags.has("send") ? { send: { rows: wholeNumber("--send", "rows", flags.get("send")!), json } } : {}),
      };
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

const DEFAULT_PREVIEW_LIMIT = 10;

const NUMBER_OPTIONS = new Set(["limit", "send"]);

function previewLimit(text: string | undefined): number {
  return text === undefined ? DEFAULT_PREVIEW_LIMIT : wholeNumber("--limit", "records", text);
}

function wholeNumber(option: string, of: string, text: string): number {
  if (!/^[1-9][0-9]*$/.test(text)) throw new UsageError(`Option ${option} needs a whole number of ${of}, 1 or more; got "${text}".`);
  return Number(text);
}
