import { NEEDS_LIQUID, parsePlainTemplate, type OutputReader } from "./plain.js";
import { printableInJson, type TemplateScope } from "./scope.js";

/**
 * A compact-JSON fast path for plain JSON templates (see plain.ts). A template body is
 * normally rendered, parsed and stringified again to validate and compact it. When the template's
 * literal text is valid JSON around its outputs, each output sitting inside a string or as a whole
 * value, the compacted literal text is worked out once here, and a row whose values are safely
 * typed renders straight to the compact JSON the parse-and-stringify would have produced. Any row
 * or template this cannot vouch for takes the slow path.
 */

/** An output inside a JSON string, or standing as a whole value. */
interface Hole {
  read: OutputReader;
  inString: boolean;
}

type Token =
  | { kind: "punctuation"; text: string }
  /** A number, true, false or null, already compacted. */
  | { kind: "scalar"; text: string }
  /** Compacted literal pieces (without quotes) and outputs; `key` is the decoded text when there is no output. */
  | { kind: "string"; pieces: (string | OutputReader)[]; key?: string | undefined }
  | { kind: "output"; read: OutputReader };

/** Thrown while compiling a template the fast path does not take. */
class NotCompactable extends Error {}

const JSON_WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const PUNCTUATION = new Set(["{", "}", "[", "]", ":", ","]);
const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
/** JSON.parse puts array-index keys first, whatever their position: leave such objects to it. */
const INDEX_LIKE_KEY = /^(?:0|[1-9]\d*)$/;
const MAX_DEPTH = 64;

/** A piece of string content as JSON.parse + JSON.stringify would write it; throws if it is not complete on its own. */
function compactStringContent(raw: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(`"${raw}"`);
  } catch {
    throw new NotCompactable();
  }
  return JSON.stringify(decoded).slice(1, -1);
}

function tokenize(parts: (string | OutputReader)[]): Token[] {
  const tokens: Token[] = [];
  /** The string being read, when a literal part ended inside it. */
  let open: (string | OutputReader)[] | undefined;
  for (const part of parts) {
    if (typeof part !== "string") {
      if (open) open.push(part);
      else tokens.push({ kind: "output", read: part });
      continue;
    }
    let at = 0;
    const continued = open;
    open = undefined;
    if (continued) {
      at = readString(part, 0, continued, tokens);
      if (at > part.length) open = continued;
    }
    while (at < part.length) {
      const char = part[at]!;
      if (JSON_WHITESPACE.has(char)) {
        at++;
      } else if (PUNCTUATION.has(char)) {
        tokens.push({ kind: "punctuation", text: char });
        at++;
      } else if (char === '"') {
        const pieces: (string | OutputReader)[] = [];
        at = readString(part, at + 1, pieces, tokens);
        if (at > part.length) open = pieces;
      } else {
        SCALAR.lastIndex = at;
        const scalar = SCALAR.exec(part);
        if (!scalar) throw new NotCompactable();
        tokens.push({ kind: "scalar", text: JSON.stringify(JSON.parse(scalar[0])) });
        at += scalar[0].length;
      }
    }
  }
  if (open) throw new NotCompactable();
  return tokens;
}

/**
 * Reads string content from `start`: at the closing quote, pushes the string token and returns the
 * index after it; at the end of `part`, leaves the content in `pieces` and returns part.length + 1.
 */
function readString(part: string, start: number, pieces: (string | OutputReader)[], tokens: Token[]): number {
  let at = start;
  while (at < part.length && part[at] !== '"') at += part[at] === "\\" ? 2 : 1;
  if (at > part.length) throw new NotCompactable(); // a backslash escapes the output that follows
  const content = compactStringContent(part.slice(start, at));
  if (content !== "") pieces.push(content);
  if (at === part.length) return part.length + 1;
  const onlyText = pieces.every((piece) => typeof piece === "string");
  const key = onlyText ? (JSON.parse(`"${pieces.join("")}"`) as string) : undefined;
  tokens.push({ kind: "string", pieces, key });
  return at + 1;
}

/** Checks the token grammar and lays out the compact output: literal text and holes. */
class Layout {
  readonly pieces: (string | Hole)[] = [];
  private next = 0;

  constructor(private readonly tokens: Token[]) {
    this.value(0);
    if (this.next !== tokens.length) throw new NotCompactable();
  }

  private take(): Token {
    const token = this.tokens[this.next++];
    if (!token) throw new NotCompactable();
    return token;
  }

  private expect(text: string): void {
    const token = this.take();
    if (token.kind !== "punctuation" || token.text !== text) throw new NotCompactable();
    this.pieces.push(text);
  }

  /** Consumes `text` when it comes next. */
  private accept(text: string): boolean {
    const token = this.tokens[this.next];
    if (token?.kind !== "punctuation" || token.text !== text) return false;
    this.next++;
    this.pieces.push(text);
    return true;
  }

  private value(depth: number): void {
    if (depth > MAX_DEPTH) throw new NotCompactable();
    const token = this.take();
    switch (token.kind) {
      case "scalar":
        this.pieces.push(token.text);
        return;
      case "output":
        this.pieces.push({ read: token.read, inString: false });
        return;
      case "string":
        this.string(token.pieces);
        return;
      case "punctuation":
        if (token.text === "{") this.object(depth);
        else if (token.text === "[") this.array(depth);
        else throw new NotCompactable();
    }
  }

  private string(pieces: (string | OutputReader)[]): void {
    this.pieces.push('"');
    for (const piece of pieces) this.pieces.push(typeof piece === "string" ? piece : { read: piece, inString: true });
    this.pieces.push('"');
  }

  private object(depth: number): void {
    this.pieces.push("{");
    if (this.accept("}")) return;
    const keys = new Set<string>();
    do {
      const token = this.take();
      // Keys must be literal, unique and not array indexes, so JSON.parse keeps them as written.
      if (token.kind !== "string" || token.key === undefined) throw new NotCompactable();
      if (keys.has(token.key) || INDEX_LIKE_KEY.test(token.key)) throw new NotCompactable();
      keys.add(token.key);
      this.string(token.pieces);
      this.expect(":");
      this.value(depth + 1);
    } while (this.accept(","));
    this.expect("}");
  }

  private array(depth: number): void {
    this.pieces.push("[");
    if (this.accept("]")) return;
    do this.value(depth + 1);
    while (this.accept(","));
    this.expect("]");
  }
}

/** Literal runs joined, so rendering appends as few strings as possible. */
function mergeLiterals(pieces: (string | Hole)[]): (string | Hole)[] {
  const merged: (string | Hole)[] = [];
  for (const piece of pieces) {
    const last = merged.length - 1;
    if (typeof piece === "string" && typeof merged[last] === "string") merged[last] += piece;
    else merged.push(piece);
  }
  return merged;
}

/** The printed text of a value inside a JSON string, when it stays a valid, unchanged string there. */
function inStringText(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return printableInJson(value);
    case "number":
    case "boolean":
      return String(value);
    case "undefined":
      return "";
    default:
      return value === null ? "" : undefined;
  }
}

/** The printed text of a value standing as a whole JSON value, when it is already compact JSON. */
function bareText(value: unknown): string | undefined {
  if (typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) return String(value);
  return undefined;
}

/**
 * Compiles a JSON template to a renderer of its compact JSON, or undefined when the template is
 * not one the fast path takes. The renderer returns undefined for a row it cannot vouch for.
 */
export function compileCompactJsonTemplate(source: string): ((scope: TemplateScope) => string | undefined) | undefined {
  const parts = parsePlainTemplate(source);
  if (!parts) return undefined;
  let pieces: (string | Hole)[];
  try {
    pieces = mergeLiterals(new Layout(tokenize(parts)).pieces);
  } catch (error) {
    if (error instanceof NotCompactable) return undefined;
    throw error;
  }
  return (scope) => {
    let output = "";
    for (const piece of pieces) {
      if (typeof piece === "string") {
        output += piece;
        continue;
      }
      const value = piece.read(scope);
      if (value === NEEDS_LIQUID) return undefined;
      const text = piece.inString ? inStringText(value) : bareText(value);
      if (text === undefined) return undefined;
      output += text;
    }
    // A lone surrogate's escape: it might pair with a neighbour's once parsed, so let the slow path decide.
    return output.includes("\\ud") ? undefined : output;
  };
}
