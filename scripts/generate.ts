// Writes every generated file (`npm run generate`), in one process: the config validator and the
// acceptance tests' SPEC.
import "./generate-spec-validator.js";
import "./generate-acceptance-spec.js";
