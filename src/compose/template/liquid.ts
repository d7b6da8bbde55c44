import { Context, Liquid, toValueSync, type Emitter, type FilterImplOptions, type Template } from "liquidjs";
import { UserFacingError, errorMessage } from "../../errors.js";
import { PRINTERS, printable, type TemplateKind, type TemplateScope } from "./scope.js";

/** A render may not run longer than this, so one hostile row cannot stall the sync. */
const RENDER_LIMIT_MS = 1000;
/** Liquid-counted allocations (loop ranges, filter results, printed values) per render, as a multiple of the largest message. */
const MEMORY_LIMIT_PER_MESSAGE_BYTE = 16;
const PARSE_LIMIT_CHARS = 1_000_000;
// Exported only for test/template-limits.test.ts.
/**
 * The most items a filter takes: the slowest (sort_natural) sorts this many strings in about
 * 0.2 s, so a hostile row cannot make one filter outrun the render limit by much.
 */
export const MAX_FILTER_INPUT_ITEMS = 100_000;
/** The locale of the `date` filter's names of months and days. */
const DATE_LOCALE = "en-US";
/** Tags that read other templates from disk: a config must not be able to read files. */
const FILE_TAGS = ["include", "render", "layout"];

export function createEngine(kind: TemplateKind, maxMessageBytes: number): Liquid {
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

export function renderCounted(engine: Liquid, parsed: Template[], scope: TemplateScope): string {
  const context = new Context(scope, engine.options, { sync: true }, { liquid: engine });
  const emitter = new CountingEmitter(context);
  toValueSync(engine.renderer.renderTemplates(parsed, context, emitter));
  return emitter.buffer;
}

/** Parses `source` with `engine`; a template that does not parse is a config error naming `setting`. */
export function parseTemplate(engine: Liquid, setting: string, source: string): Template[] {
  try {
    return engine.parse(source);
  } catch (error) {
    const cause = errorMessage(error);
    throw new UserFacingError(
      `The Liquid template in ${setting} does not parse: ${cause}. Fix the template at that position ` +
        `(available filters: Liquid's standard filters plus json and raw; include, render and layout are not supported).`,
      "config_error",
      cause,
    );
  }
}
