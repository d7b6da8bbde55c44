// Compiles spec.json into the config validator (src/config/spec-validator.generated.ts), so the
// connector does not build it with ajv each time it starts: compiling the schema took longer
// than everything else `write` does before its first record. Run by `npm run build` and
// `npm run typecheck`; the output is not committed.
import { writeFileSync } from "node:fs";
import { SPEC_VALIDATOR_PATH, specValidatorSource } from "./spec-validator-source.js";

writeFileSync(SPEC_VALIDATOR_PATH, specValidatorSource());
