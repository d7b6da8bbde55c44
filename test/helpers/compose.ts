import assert from "node:assert/strict";
import {
  createComposer,
  type ComposedMessage,
  type Composer,
  type ComposeRejection,
  type ComposeResult,
} from "../../src/compose/composer.js";
import { isRejection } from "../../src/compose/rejection.js";
import type { Config } from "../../src/config/types.js";
import { ANY_QUEUE_HOST } from "./in-process.js";

/** The composed message; fails the test when the row was rejected. */
export function accepted(result: ComposeResult, what = "a message"): ComposedMessage {
  if (isRejection(result)) assert.fail(`expected ${what}, got a rejection: ${result.reason}`);
  return result;
}

/** The rejection; fails the test when the row became a message. */
export function rejected(result: ComposeResult, what = "a rejection"): ComposeRejection {
  if (!isRejection(result)) assert.fail(`expected ${what}, got a body of ${result.bytes} bytes: ${result.body.slice(0, 200)}`);
  return result;
}

/** A composer for tests that are not about queue hosts (see ANY_QUEUE_HOST). */
export function composerFor(config: Config): Composer {
  return createComposer(config, { checkQueueUrl: ANY_QUEUE_HOST });
}
