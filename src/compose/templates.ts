import { Context, Liquid, toValueSync, type Emitter, type FilterImplOptions, type Template } from "liquidjs";
import type { ChangeType } from "../config/types.js";
import { UserFacingError } from "../errors.js";
// biome-ignore lint/suspicious/noImportCycles: fast-template imports only types from here, so no cycle at run time
import { compilePlainTemplate } from "./fast-template.js";

/** What a template can read: the names documented under "Message body". */
export interface TemplateScope {
  row: Record<string, unknown>;
  change: ChangeType;
  previous: Record<string, unknown> | null;
  stream: string;
  namespace: string | null;
  emitted_at: number;
  /** The catalog's sync id and the stream's generation id (null when the catalog has none). */
  sync_id: number | null;
  generation_id: number | null;
  /** The record's `meta` (e.g. `meta.changes`), null when it has none. */
  meta: unknown;
}

/** Renders a parsed template for one row; throws a liquidjs RenderError when a render limit trips. */
export type RenderTemplate = (scope: TemplateScope) => string;

/**
 * JSON templates escape printed strings for a JSON string literal; text templates (ids, queue,
 * attributes) print them verbatim.
 */
export type TemplateKind = "json" | "text";

/** A render may not run longer than this, so one hostile row cannot stall the sync. */
const RENDER_LIMIT_MS = 1000;
/** Liquid-counted allocations (loop ranges, filter results, printed values) per render, as a multiple of the largest message. */
const MEMORY_LIMIT_PER_MESSAGE_BYTE = 16;
const PARSE_LIMIT_CHARS = 1_000_000;
/**
 * The most items a filter takes: the slowest (sort_natural) sorts this many strings in about
 * 0.2 s, so a hostile row cannot make one filter outrun the render limit by much.
 */
export const MAX_FILTER_INPUT_ITEMS = 100_000;
/** The locale of the `date` filter's names of months and days. */
const DATE_LOCALE = "en-US";
/** Tags that read other templates from disk: a config must not be able to read files. */
const FILE_TAGS = ["include", "render", "layout"];

/** How a printed value becomes text: null and undefined print nothing, objects and arrays print as JSON. */
export function printable(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value) ?? "";
  return String(value);
}

/** Characters JSON.stringify may escape: quotes, backslashes, control characters and surrogates (it escapes unpaired ones). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const JSON_ESCAPED_CHARACTER = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Like `printable`, but a string becomes its JSON string-literal form without the surrounding quotes. */
export function printableInJson(value: unknown): string {
  if (typeof value !== "string") return printable(value);
  if (!JSON_ESCAPED_CHARACTER.test(value)) return value;
  const quoted = JSON.stringify(value);
  return quoted.slice(1, quoted.length - 1);
}

const PRINTERS: Record<TemplateKind, (value: unknown) => string> = { json: printableInJson, text: printable };

function createEngine(kind: TemplateKind, maxMessageBytes: number): Liquid {
  const print = PRINTERS[kind];
  const engine = new Liquid({
    strictFilters: true,
    ownPropertyOnly: true,
    parseLimit: PARSE_LIMIT_CHARS,
    renderLimit: RENDER_LIMIT_MS,
    memoryLimit: MEMORY_LIMIT_PER_MESSAGE_BYTE * maxMessageBytes,
    // Dates print the same on every machine; finding the system's locale also cost 14 ms per engine at start.
    locale: DATE_LOCALE,
    outputEscape(this: { context: Context }, value: unknown): string {
      const text = print(value);
      // Printed output counts toward the memory limit even where it is captured into a variable.
      this.context.memoryLimit.use(text.length);
      return text;
    },
  });
  for (const tag of FILE_TAGS) delete engine.tags[tag];
  engine.registerFilter("json", {
    raw: true,
    handler(this: { context: Context }, value: unknown, indent: unknown = 0): string {
      const text = JSON.stringify(value ?? null, null, typeof indent === "number" ? indent : 0) ?? "null";
      this.context.memoryLimit.use(text.length);
      return text;
    },
  });
  boundFilters(engine);
  return engine;
}

/**
 * Makes every filter refuse an array of more than MAX_FILTER_INPUT_ITEMS items (as its input or
 * an argument), and check the render's time limit once it has run.
 */
function boundFilters(engine: Liquid): void {
  for (const [name, filter] of Object.entries(engine.filters)) {
    const { handler, raw } = typeof filter === "function" ? { handler: filter, raw: false } : filter;
    const bounded: FilterImplOptions = function (this: { context: Context }, value: unknown, ...args: unknown[]): unknown {
      for (const arg of [value, ...args]) {
        if (Array.isArray(arg) && arg.length > MAX_FILTER_INPUT_ITEMS) {
          throw new Error(`filter ${name} was given ${arg.length} items; filters take at most ${MAX_FILTER_INPUT_ITEMS}`);
        }
      }
      const result: unknown = handler.call(this as never, value, ...args);
      this.context.renderLimit.check(performance.now());
      return result;
    };
    engine.registerFilter(name, { handler: bounded, raw: raw ?? false });
  }
}

/** Collects a render's output, counting all of it (literal text too) against the render's memory limit. */
class CountingEmitter implements Emitter {
  buffer = "";

  constructor(private readonly context: Context) {}

  write(html: unknown): void {
    const text = typeof html === "string" ? html : printable(html);
    this.context.memoryLimit.use(text.length);
    this.buffer += text;
  }
}

function renderCounted(engine: Liquid, parsed: Template[], scope: TemplateScope): string {
  const context = new Context(scope, engine.options, { sync: true }, { liquid: engine });
  const emitter = new CountingEmitter(context);
  toValueSync(engine.renderer.renderTemplates(parsed, context, emitter));
  return emitter.buffer;
}

export interface TemplateCompiler {
  /** Parses `source` once; `setting` names it in the config error when it does not parse. */
  compile(setting: string, source: string, kind: TemplateKind): RenderTemplate;
}

export function createTemplateCompiler(maxMessageBytes: number): TemplateCompiler {
  const engines: Partial<Record<TemplateKind, Liquid>> = {};
  return {
    compile(setting, source, kind) {
      engines[kind] ??= createEngine(kind, maxMessageBytes);
      const engine = engines[kind];
      let parsed: Template[];
      try {
        parsed = engine.parse(source);
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        throw new UserFacingError(
          `The Liquid template in ${setting} does not parse: ${cause}. Fix the template at that position ` +
            `(available filters: Liquid's standard filters plus json and raw; include, render and layout are not supported).`,
          "config_error",
          cause,
        );
      }
      const renderWithLiquid = (scope: TemplateScope) => renderCounted(engine, parsed, scope);
      const renderPlain = compilePlainTemplate(source, PRINTERS[kind]);
      return renderPlain ? (scope) => renderPlain(scope) ?? renderWithLiquid(scope) : renderWithLiquid;
    },
  };
}
