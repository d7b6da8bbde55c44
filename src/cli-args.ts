export type Command =
  | { name: "spec" }
  | { name: "check"; config: string }
  | { name: "write"; config: string; catalog: string }
  | { name: "help" };

export const USAGE = `Usage: destination-sqs <command> [options]

Commands:
  spec                                     print the connector specification (Airbyte SPEC message)
  check --config CONFIG                    test the credentials and the queue; prints CONNECTION_STATUS
  write --config CONFIG --catalog CATALOG  publish the Airbyte messages read on stdin to SQS
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
    if (key !== "config" && key !== "catalog") throw new UsageError(`Unknown option "${flag}".`);
    const value = inlineValue ?? rest[++i];
    if (value === undefined || value === "") throw new UsageError(`Option --${key} needs a file path.`);
    flags.set(key, value);
  }
  const required = (key: string): string => {
    const value = flags.get(key);
    if (value === undefined) throw new UsageError(`The ${command} command needs --${key} FILE.`);
    return value;
  };
  switch (command) {
    case "spec":
      return { name: "spec" };
    case "check":
      return { name: "check", config: required("config") };
    case "write":
      return { name: "write", config: required("config"), catalog: required("catalog") };
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}
