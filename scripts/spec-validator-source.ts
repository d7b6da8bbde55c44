import { _, Ajv } from "ajv";
import standalone from "ajv/dist/standalone/index.js";
import { specFormats } from "../src/config/spec-formats.js";
import { readPackageJson } from "../src/package-files.js";

/** Where the generated config validator lives, for src/config/load.ts to import. */
export const SPEC_VALIDATOR_PATH = new URL("../src/config/spec-validator.generated.ts", import.meta.url);

/** spec.json compiled by ajv into the source of an ES module that exports `validate`. */
export function specValidatorSource(): string {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: false,
    // Errors carry the schema they failed against: the messages read titles and pattern descriptions from it.
    verbose: true,
    code: { source: true, esm: true, formats: _`specFormats` },
  });
  for (const [name, check] of Object.entries(specFormats)) ajv.addFormat(name, check);
  const validatorCode = standalone.default(ajv, ajv.compile(readPackageJson<object>("spec.json")));

  // ajv's ES module output still loads its runtime helpers with require(), which an ES module lacks.
  const imports = new Map<string, string>();
  const code = validatorCode.replace(/^"use strict";/, "").replace(/require\("([^"]+)"\)/g, (_call: string, module: string) => {
    if (!imports.has(module)) imports.set(module, `ajvRuntime${imports.size}`);
    return imports.get(module)!;
  });
  return [
    "// Generated from spec.json by scripts/generate-spec-validator.ts (npm run build). Do not edit.",
    "// @ts-nocheck",
    'import { specFormats } from "./spec-formats.js";',
    ...[...imports].map(([module, name]) => `import ${name} from "${module}.js";`),
    code,
    "",
  ].join("\n");
}
