// The one way templates are compiled: each template is rendered by the fastest path that renders
// it exactly as Liquid would (the compact-JSON fast path, the plain fast path), and by Liquid otherwise.
import type { Liquid } from "liquidjs";
import { compileCompactJsonTemplate } from "./compact-json.js";
import { createEngine, parseTemplate, renderCounted } from "./liquid.js";
import { compilePlainTemplate } from "./plain.js";
import { PRINTERS, type RenderTemplate, type TemplateKind, type TemplateScope } from "./scope.js";

/** Renders a JSON template straight to compact JSON, or undefined for a row the fast path cannot vouch for. */
type RenderCompactJson = (scope: TemplateScope) => string | undefined;

export interface TemplateCompiler {
  /** Parses `source` once; `setting` names it in the config error when it does not parse. */
  compile(setting: string, source: string, kind: TemplateKind): RenderTemplate;
  /** The compact-JSON fast path of a JSON template, or undefined when the template is not of its shape. */
  compactJson(source: string): RenderCompactJson | undefined;
}

export function createTemplateCompiler(maxMessageBytes: number): TemplateCompiler {
  const engines: Partial<Record<TemplateKind, Liquid>> = {};
  return {
    compile(setting, source, kind) {
      engines[kind] ??= createEngine(kind, maxMessageBytes);
      const engine = engines[kind];
      const parsed = parseTemplate(engine, setting, source);
      const renderWithLiquid: RenderTemplate = (scope) => renderCounted(engine, parsed, scope);
      const renderPlain = compilePlainTemplate(source, PRINTERS[kind]);
      return renderPlain ? (scope) => renderPlain(scope) ?? renderWithLiquid(scope) : renderWithLiquid;
    },
    compactJson: compileCompactJsonTemplate,
  };
}
