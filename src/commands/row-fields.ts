import type { Config, MessageBody, ValueSource } from "../config/types.js";
import { createEngine, parseTemplate } from "../compose/template/liquid.js";

/** Template names that hold a row's fields: the row itself and its previously published version. */
const ROW_SCOPES = new Set(["row", "previous"]);

/** One row field the configuration reads, and the settings that read it. */
export interface RowField {
  name: string;
  readBy: string[];
}

/** A setting that reads row fields: a column path, or a template. */
type FieldReader = { setting: string; column: string } | { setting: string; template: string };

/**
 * The top-level row fields the configuration reads (columns in value sources and in the body,
 * `row.x` and `previous.x` in templates, the change-type field), in the order settings name them.
 * A column path reads its first segment ("customer.id" reads "customer").
 */
export function rowFieldsRead(config: Config): RowField[] {
  const engine = createEngine("text", config.max_message_bytes);
  const fields = new Map<string, string[]>();
  const note = (name: string, setting: string): void => {
    const readBy = fields.get(name) ?? [];
    if (!readBy.includes(setting)) readBy.push(setting);
    fields.set(name, readBy);
  };
  for (const reader of fieldReaders(config)) {
    if ("column" in reader) {
      note(reader.column.split(".")[0] ?? reader.column, reader.setting);
      continue;
    }
    const parsed = parseTemplate(engine, reader.setting, reader.template);
    for (const [scope, field] of engine.globalVariableSegmentsSync(parsed)) {
      if (typeof scope === "string" && ROW_SCOPES.has(scope) && typeof field === "string") note(field, reader.setting);
    }
  }
  return [...fields].map(([name, readBy]) => ({ name, readBy }));
}

function fieldReaders(config: Config): FieldReader[] {
  const readers: FieldReader[] = [...bodyReaders(config.message_body)];
  const valueSources: [string, ValueSource | undefined][] = [
    ["queue", config.queue],
    ["message_id", config.message_id],
    ["message_group_id", config.message_group_id],
    ["message_deduplication_id", config.message_deduplication_id],
    ["delay_seconds", config.delay_seconds],
    ...config.message_attributes.map((attribute, index): [string, ValueSource] => [`message_attributes[${index}].value`, attribute.value]),
  ];
  for (const [setting, source] of valueSources) {
    if (source?.source === "column") readers.push({ setting, column: source.column });
    if (source?.source === "template") readers.push({ setting: `${setting}.template`, template: source.template });
  }
  const detection = config.change_detection;
  if (detection.mode === "field") readers.push({ setting: "change_detection.field", column: detection.field });
  if (detection.mode === "snapshot") {
    for (const [index, path] of (detection.primary_key ?? []).entries()) {
      const [first] = path;
      if (first !== undefined) readers.push({ setting: `change_detection.primary_key[${index}]`, column: first });
    }
    for (const column of detection.compare_columns ?? []) readers.push({ setting: "change_detection.compare_columns", column });
  }
  return readers;
}

function bodyReaders(body: MessageBody): FieldReader[] {
  switch (body.format) {
    case "record":
      return [];
    case "column":
      return [{ setting: "message_body.column", column: body.column }];
    case "columns":
      return body.columns.map((column, index) => ({ setting: `message_body.columns[${index}].column`, column: column.column }));
    case "template":
      return [{ setting: "message_body.template", template: body.template }];
  }
}
