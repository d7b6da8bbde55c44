import type { StateStats } from "./messages.js";

/**
 * The line to echo for a STATE input line: the same bytes, with `destinationStats` set in its
 * `state` object. Only that member is written; key order, number formatting, escapes and spacing
 * of everything else are kept, since the platform stores the echoed STATE as it is and gives it
 * to the source on the next sync. `line` must be a JSON object with an object `state` member
 * (parseMessage checked both).
 */
export function echoedStateLine(line: string, stats: StateStats): string {
  const state = lastMember(line, skipWhitespace(line, 0), "state");
  if (state === undefined) throw new Error("a STATE line without a state object reached the echo");
  const statsJson = JSON.stringify(stats);
  const existing = lastMember(line, state.valueStart, "destinationStats");
  if (existing !== undefined) return line.slice(0, existing.valueStart) + statsJson + line.slice(existing.valueEnd);
  const members = membersOf(line, state.valueStart);
  const last = members.at(-1);
  const insertAt = last === undefined ? state.valueStart + 1 : last.valueEnd;
  const member = `${last === undefined ? "" : ","}"destinationStats":${statsJson}`;
  return line.slice(0, insertAt) + member + line.slice(insertAt);
}

interface Member {
  key: string;
  valueStart: number;
  valueEnd: number;
}

/** The last member named `key` of the object starting at `start` (JSON.parse keeps the last of duplicates). */
function lastMember(text: string, start: number, key: string): Member | undefined {
  const members = membersOf(text, start);
  for (let index = members.length - 1; index >= 0; index--) if (members[index]!.key === key) return members[index];
  return undefined;
}

/** The members of the object whose `{` is at `start`, in order. */
function membersOf(text: string, start: number): Member[] {
  const members: Member[] = [];
  if (text[start] !== "{") return members;
  let at = skipWhitespace(text, start + 1);
  while (text[at] === '"') {
    const keyEnd = stringEnd(text, at);
    const key = JSON.parse(text.slice(at, keyEnd)) as string;
    const colon = skipWhitespace(text, keyEnd);
    const valueStart = skipWhitespace(text, colon + 1);
    const valueEnd = valueEndAt(text, valueStart);
    members.push({ key, valueStart, valueEnd });
    at = skipWhitespace(text, valueEnd);
    if (text[at] === ",") at = skipWhitespace(text, at + 1);
  }
  return members;
}

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && (text[at] === " " || text[at] === "\t" || text[at] === "\n" || text[at] === "\r")) at++;
  return at;
}

/** The index just after the string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  while (at < text.length && text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
  return at + 1;
}

/** The index just after the JSON value starting at `start`. */
function valueEndAt(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return stringEnd(text, start);
  if (first !== "{" && first !== "[") {
    let at = start;
    while (at < text.length && !",}] \t\n\r".includes(text[at]!)) at++;
    return at;
  }
  let depth = 0;
  let at = start;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '"') {
      at = stringEnd(text, at);
      continue;
    }
    if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return at + 1;
    }
    at++;
  }
  return at;
}
