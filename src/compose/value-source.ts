import type { ValueSource } from "../config/types.js";
import { compileColumnPath } from "./paths.js";
import { errorMessage } from "../errors.js";
import { describeEmpty, isEmptyValue, type Result, RowRejection } from "./rejection.js";
import type { TemplateCompiler } from "./template/compile.js";
import { printable, type TemplateScope } from "./template/scope.js";

/** A configured value source, compiled once; `require` yields the row's value as text. */
export interface CompiledValueSource {
  /** The setting's key, e.g. "message_group_id" or "message_attributes[1].value". */
  readonly setting: string;
  /** How rejection reasons name the source, e.g. `column "customer.id"`. */
  readonly origin: string;
  /** The row's value, or a rejection when it is null, missing or empty. */
  require(scope: TemplateScope): Result<string>;
}

export function compileValueSource(setting: string, source: ValueSource, templates: TemplateCompiler): CompiledValueSource {
  const rejectEmpty = (origin: string, value: null | undefined | ""): RowRejection =>
    new RowRejection(
      setting,
      `${setting} (${origin}) is ${describeEmpty(value)}; give every row a value there or choose another source for ${setting}.`,
    );
  switch (source.source) {
    case "static": {
      const origin = "static value";
      return {
        setting,
        origin,
        require: () => (source.value === "" ? rejectEmpty(origin, "") : source.value),
      };
    }
    case "column": {
      const origin = `column ${JSON.stringify(source.column)}`;
      const read = compileColumnPath(source.column);
      return {
        setting,
        origin,
        require(scope) {
          const value = read(scope.row);
          return isEmptyValue(value) ? rejectEmpty(origin, value) : printable(value);
        },
      };
    }
    case "template": {
      const origin = "template";
      const render = templates.compile(`${setting}.template`, source.template, "text");
      return {
        setting,
        origin,
        require(scope) {
          let text: string;
          try {
            text = render(scope).trim();
          } catch (error) {
            return new RowRejection(setting, `${setting}.template failed to render: ${errorMessage(error)}.`);
          }
          return text === "" ? rejectEmpty(origin, "") : text;
        },
      };
    }
  }
}
