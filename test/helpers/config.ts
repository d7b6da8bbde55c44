// The one factory of test configurations: the test region and credentials and a static queue,
// as raw settings (for a config file or the loader) or as the Config the loader makes.
import { validateConfig } from "../../src/config/load.js";
import type { CommonSettings, Config, QueueType, ValueSource } from "../../src/config/types.js";

export const TEST_REGION = "us-east-1";

/** The access key every emulator accepts (moto until enforceAuth), as the SDK takes it. */
export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/** A queue URL for unit tests that never reach a queue. */
const UNIT_TEST_QUEUE_URL = "http://127.0.0.1:4566/000000000000/orders";

/** Settings with the test region, the test access key and a static queue "orders"; `settings` adds or replaces keys. */
export function testSettings(settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    region: TEST_REGION,
    credentials: {
      auth_type: "access_key",
      access_key_id: TEST_CREDENTIALS.accessKeyId,
      secret_access_key: TEST_CREDENTIALS.secretAccessKey,
    },
    queue: { source: "static", value: "orders" },
    ...settings,
  };
}

/** Any settings, whatever the queue type: tests may combine what the loader refuses. */
export type ConfigOverrides = Partial<CommonSettings> & {
  queue_type?: QueueType;
  message_group_id?: ValueSource;
  message_deduplication_id?: ValueSource;
  delay_seconds?: ValueSource;
};

/**
 * The test settings (with a queue URL) and the defaults from spec.json, then `overrides` as given
 * (not validated, so tests can pass what the loader refuses).
 */
export function testConfig(overrides: ConfigOverrides = {}): Config {
  const validated = validateConfig(testSettings({ queue: { source: "static", value: UNIT_TEST_QUEUE_URL } }), "the test config");
  return { ...validated, ...overrides } as Config;
}
