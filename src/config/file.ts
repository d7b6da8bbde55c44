// Reading the config file: a JSON syntax error is reported with its line and column, never its text.

import { readFileSync } from "node:fs";
import { UserFacingError } from "../errors.js";

/** The parsed JSON of the config file at `path`. */
export function readConfigJson(path: string): unknown {
  return parseJson(readConfigFile(path), path);
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "the file does not exist"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : String(code ?? error);
    throw new UserFacingError(
      `Cannot read the config file ${path}: ${reason}. Pass the path of a readable JSON config file with --config.`,
    );
  }
}

function parseJson(text: string, path: string): unknown {
  const json = text.replace(/^\uFEFF/, "");
  try {
    return JSON.parse(json);
  } catch (error) {
    // V8's message may quote the file's text (secrets included), so only its reason is kept.
    const reason = String((error as Error).message)
      .replace(/^Unexpected token .*/s, "unexpected character")
      .replace(/ in JSON at position \d+$/, "");
    const { line, column } = lineAndColumn(json, syntaxErrorOffset(json));
    throw new UserFacingError(
      `The config file ${path} is not valid JSON: ${reason.charAt(0).toLowerCase()}${reason.slice(1)} at line ${line}, column ${column}. ` +
        "Fix the JSON syntax there (often a missing comma, quote or brace) and try again.",
    );
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: a JSON string forbids unescaped control characters
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const JSON_SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** Where JSON.parse gave up: V8 leaves the position out of some messages (e.g. an unquoted value). */
function syntaxErrorOffset(text: string): number {
  let at = 0;
  const skipSpace = (): void => {
    while (at < text.length && " \t\n\r".includes(text.charAt(at))) at++;
  };
  const match = (pattern: RegExp): boolean => {
    skipSpace();
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (found) at += found[0].length;
    return found !== null;
  };
  const expect = (char: string): boolean => {
    skipSpace();
    if (text.charAt(at) !== char) return false;
    at++;
    return true;
  };
  const sequence = (close: string, member: () => boolean): boolean => {
    at++;
    if (expect(close)) return true;
    do {
      if (!member()) return false;
    } while (expect(","));
    return expect(close);
  };
  const value = (): boolean => {
    skipSpace();
    if (text.charAt(at) === "{") return sequence("}", () => match(JSON_STRING) && expect(":") && value());
    if (text.charAt(at) === "[") return sequence("]", value);
    return match(JSON_STRING) || match(JSON_SCALAR);
  };
  if (value()) skipSpace();
  return at;
}
