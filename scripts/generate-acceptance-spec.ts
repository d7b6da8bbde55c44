// Writes integration_tests/spec.json: the SPEC that acceptance-test-config.yml's spec test expects,
// which is what the `spec` command answers. Run by `npm run generate` beside the config validator,
// so it follows spec.json; commit it whenever it changes (test/acceptance.test.ts catches a stale one).
import { mkdirSync } from "node:fs";
import { writeIfChanged } from "./write-if-changed.js";
import { connectorSpecification } from "../src/spec.js";

const folder = new URL("../integration_tests/", import.meta.url);
mkdirSync(folder, { recursive: true });
writeIfChanged(new URL("spec.json", folder), `${JSON.stringify(connectorSpecification(), null, 2)}\n`);
