// A Config with every default applied, as the loader makes it, for unit tests of modules that take one.
import { validateConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/types.js";

const MINIMAL = {
  region: "us-east-1",
  credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
  queue: { source: "static", value: "http://127.0.0.1:4566/000000000000/orders" },
};

/** The defaults from spec.json, then `overrides` as given (not validated, so tests can pass what the loader refuses). */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...validateConfig(MINIMAL, "the test config"), ...overrides };
}
