import type { Writable } from "node:stream";
import type { FailureType } from "../errors.js";
import { NO_CONFIG_SECRETS, type Redactor } from "../redact.js";
import type { AirbyteMessage, LogLevel } from "./messages.js";

/**
 * Writes Airbyte messages as JSON lines. `emit` resolves once the line is accepted by the
 * stream's buffer, so a slow reader of stdout slows the connector instead of growing memory.
 */
export class MessageWriter {
  private redactor: Redactor = NO_CONFIG_SECRETS;

  constructor(private readonly out: Writable) {}

  /** From now on, LOG and TRACE text passes through `redactor` (see Redactor.message). */
  redactWith(redactor: Redactor): void {
    this.redactor = redactor;
  }

  emit(message: AirbyteMessage): Promise<void> {
    return this.writeLine(JSON.stringify(redactedMessage(this.redactor, message)));
  }

  /** Writes text for people or scripts (preview --send's report), redacted like LOG text. */
  text(text: string): Promise<void> {
    return this.writeLine(this.redactor.text(text.replace(/\n$/, "")));
  }

  /** Writes a line the connector echoes (a STATE as it came in): never redacted or re-serialised. */
  emitEchoed(line: string): Promise<void> {
    return this.writeLine(line);
  }

  private async writeLine(line: string): Promise<void> {
    if (!this.out.write(line + "\n")) {
      await new Promise<void>((resolve) => this.out.once("drain", resolve));
    }
  }

  /** Resolves once stdout can take more (at once unless its buffer is full), or once it is closed. */
  whenDrained(): Promise<void> {
    if (!this.out.writableNeedDrain) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.out.off("drain", done).off("close", done);
        resolve();
      };
      this.out.once("drain", done).once("close", done);
    });
  }

  log(level: LogLevel, message: string): Promise<void> {
    return this.emit({ type: "LOG", log: { level, message } });
  }

  error(failure: FailureType, message: string, internalMessage?: string, stackTrace?: string): Promise<void> {
    return this.emit({
      type: "TRACE",
      trace: {
        type: "ERROR",
        emitted_at: Date.now(),
        error: {
          message,
          failure_type: failure,
          ...(internalMessage === undefined ? {} : { internal_message: internalMessage }),
          ...(stackTrace === undefined ? {} : { stack_trace: stackTrace }),
        },
      },
    });
  }

  /** Resolves once everything written so far has been handed to the operating system. */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      if (this.out.writableLength === 0) resolve();
      else this.out.write("", () => resolve());
    });
  }
}

/** The message as it may be printed: LOG and TRACE text redacted, every other message unchanged. */
export function redactedMessage(redactor: Redactor, message: AirbyteMessage): AirbyteMessage {
  switch (message.type) {
    case "LOG":
      return { type: "LOG", log: { ...message.log, message: redactor.text(message.log.message) } };
    case "TRACE":
      return { type: "TRACE", trace: redactor.value(message.trace) };
    default:
      return message;
  }
}
