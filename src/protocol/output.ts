import type { Writable } from "node:stream";
import type { AirbyteMessage, FailureType, LogLevel } from "./messages.js";

/**
 * Writes Airbyte messages as JSON lines. `emit` resolves once the line is accepted by the
 * stream's buffer, so a slow reader of stdout slows the connector instead of growing memory.
 */
export class MessageWriter {
  private secrets: string[] = [];

  constructor(private readonly out: Writable) {}

  /** Values that must never be printed: each is replaced by "**********" wherever it appears. */
  redact(values: string[]): void {
    this.secrets = values.filter((value) => value.length > 0).map((value) => JSON.stringify(value).slice(1, -1));
  }

  async emit(message: AirbyteMessage): Promise<void> {
    let line = JSON.stringify(message);
    for (const secret of this.secrets) line = line.replaceAll(secret, "**********");
    if (!this.out.write(line + "\n")) {
      await new Promise<void>((resolve) => this.out.once("drain", resolve));
    }
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
