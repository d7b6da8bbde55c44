import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SPEC_VALIDATOR_PATH, specValidatorSource } from "../scripts/spec-validator-source.js";

test("the config validator was generated from the current spec.json (npm run generate)", () => {
  assert.equal(readFileSync(SPEC_VALIDATOR_PATH, "utf8"), specValidatorSource());
});
