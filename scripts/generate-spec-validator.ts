// Compiles spec.json into the config validator (src/config/spec-validator.generated.ts), so the
// connector does not build it with ajv each time it starts: compiling the schema took longer
// than everything else `write` does before its first record. Run by `npm run build` and
// `npm run typecheck`. The output is committed, so a fresh clone (`npm ci`, an editor, a single test
// file, the production install in the image) needs no build step; regenerate and commit it whenever
// spec.json changes (test/spec-validator.test.ts and .ci/run catch a stale one).
import { writeIfChanged } from "./write-if-changed.js";
import { SPEC_VALIDATOR_PATH, specValidatorSource } from "./spec-validator-source.js";

writeIfChanged(SPEC_VALIDATOR_PATH, specValidatorSource());
