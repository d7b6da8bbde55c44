import type { MessageBody } from "../config/types.js";
import { compileColumnPath } from "./paths.js";
import { errorMessage } from "../errors.js";
import { describeEmpty, isEmptyValue, type Result, RowRejection } from "./rejection.js";
import type { TemplateCompiler } from "./template/compile.js";
import type { TemplateScope } from "./template/scope.js";

/** Builds the row's message body as compact JSON, or a rejection when it cannot. */
type ComposeBody = (scope: TemplateScope) => Result<string>;

const SETTING = "message_body";

/** `text` as compact JSON. */
function compactJson(text: string, what: string): Result<string> {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    return new RowRejection(SETTING, `${what} is not valid JSON: ${errorMessage(error)}.`);
  }
}

function columnBody(column: string): ComposeBody {
  const read = compileColumnPath(column);
  const origin = `message_body (column ${JSON.stringify(column)})`;
  return (scope) => {
    const value = read(scope.row);
    if (isEmptyValue(value)) {
      return new RowRejection(
        SETTING,
        `${origin} is ${describeEmpty(value)}; the column must hold the message as an object, an array or a JSON string.`,
      );
    }
    return typeof value === "string" ? compactJson(value, `${origin} holds a string that`) : JSON.stringify(value);
  };
}

function columnsBody(columns: { column: string; field?: string }[]): ComposeBody {
  const fields = columns.map(({ column, field }) => ({ name: field ?? column, read: compileColumnPath(column) }));
  return (scope) => {
    // No prototype, so a field named "__proto__" is an ordinary key.
    const message: Record<string, unknown> = Object.create(null);
    for (const field of fields) message[field.name] = field.read(scope.row) ?? null;
    return JSON.stringify(message);
  };
}

function templateBody(source: string, templates: TemplateCompiler): ComposeBody {
  const setting = `${SETTING}.template`;
  const render = templates.compile(setting, source, "json");
  const renderCompact = templates.compactJson(source);
  const parseAndCompact: ComposeBody = (scope) => {
    let rendered: string;
    try {
      rendered = render(scope);
    } catch (error) {
      return new RowRejection(SETTING, `${setting} failed to render: ${errorMessage(error)}.`);
    }
    if (rendered.trim() === "") {
      return new RowRejection(SETTING, `${setting} rendered an empty body; SQS needs a non-empty message.`);
    }
    return compactJson(rendered, `the output of ${setting}`);
  };
  return renderCompact ? (scope) => renderCompact(scope) ?? parseAndCompact(scope) : parseAndCompact;
}

export function compileBody(body: MessageBody, templates: TemplateCompiler): ComposeBody {
  switch (body.format) {
    case "record":
      return (scope) => JSON.stringify(scope.row);
    case "column":
      return columnBody(body.column);
    case "columns":
      return columnsBody(body.columns);
    case "template":
      return templateBody(body.template, templates);
  }
}
