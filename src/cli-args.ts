export type Command =
  | { name: "spec" }
  | { name: "check"; config: string }
  | { name: "discover"; config: string }
  | { name: "write"; config: string; catalog: string }
  | { name: "preview"; config: string; catalog: string; limit: number }
  | { name: "help" };

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
  --help                                   show this help

CONFIG is a JSON file matching spec.json; CATALOG is a ConfiguredAirbyteCatalog JSON file.`;

export class UsageError extends Error {}

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
    if (key !== "config" && key !== "catalog" && key !== "limit") throw new UsageError(`Unknown option "${flag}".`);
    const value = inlineValue ?? rest[++i];
    if (value === undefined || value === "") {
      throw new UsageError(`Option --${key} needs ${key === "limit" ? "a number" : "a file path"}.`);
    }
    flags.set(key, value);
  }
  const required = (key: string): string => {
    const value = flags.get(key);
    if (value === undefined) throw new UsageError(`The ${command} command needs --${key} FILE.`);
    return value;
  };
  if (flags.has("limit") && command !== "preview") throw new UsageError(`Option --limit only applies to the preview command.`);
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
      return { name: "preview", config: required("config"), catalog: required("catalog"), limit: previewLimit(flags.get("limit")) };
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

const DEFAULT_PREVIEW_LIMIT = 10;

function previewLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PREVIEW_LIMIT;
  if (!/^[1-9][0-9]*$/.test(text)) throw new UsageError(`Option --limit needs a whole number of records, 1 or more; got "${text}".`);
  return Number(text);
}
