import type { Config, LargeMessages, PayloadSizeAttribute, S3Settings } from "../config/types.js";
import {
  DEFAULT_PAYLOAD_SIZE_ATTRIBUTE,
  maxObjectKeyBytes,
  payloadSizeAttribute,
  pointerAttributeProblem,
  pointerBody,
} from "./extended-client-format.js";

/** The composed message, as far as deciding and checking its offloading goes. */
interface MessageSize {
  /** Body plus attributes, as SQS counts them. */
  bytes: number;
  bodyBytes: number;
  attributeCount: number;
}

/** The one home of the rule deciding which messages go through S3 (`large_messages`). */
export class LargeMessagePolicy {
  /** The bucket's settings, when bodies may go to S3. */
  readonly s3: (S3Settings & { prefix: string }) | undefined;
  /** The attribute that marks a pointer. */
  readonly sizeAttribute: PayloadSizeAttribute;
  /** Messages over this many bytes are not sent as they are: offloaded to S3, or rejected. */
  readonly threshold: number;
  private readonly always: boolean;

  constructor(
    settings: LargeMessages,
    private readonly maxMessageBytes: number,
  ) {
    if (settings.policy === "s3") {
      const { policy: _policy, threshold_bytes, always, size_attribute, ...s3 } = settings;
      this.s3 = { ...s3, prefix: s3.prefix ?? "" };
      this.threshold = threshold_bytes ?? maxMessageBytes;
      this.always = always ?? false;
      this.sizeAttribute = size_attribute ?? DEFAULT_PAYLOAD_SIZE_ATTRIBUTE;
    } else {
      this.s3 = undefined;
      this.sizeAttribute = DEFAULT_PAYLOAD_SIZE_ATTRIBUTE;
      this.threshold = maxMessageBytes;
      this.always = false;
    }
  }

  static of(config: Pick<Config, "large_messages" | "max_message_bytes">): LargeMessagePolicy {
    return new LargeMessagePolicy(config.large_messages, config.max_message_bytes);
  }

  /** Whether a message of `bytes` (body and attributes) has its body stored in S3. */
  offloads(bytes: number): boolean {
    return this.s3 !== undefined && (this.always || bytes > this.threshold);
  }

  /** Why a message that must go through S3 cannot, or undefined when its pointer message fits SQS. */
  offloadProblem(message: MessageSize): string | undefined {
    const s3 = this.s3;
    if (s3 === undefined) return undefined;
    const why = this.always ? "large_messages.always is set" : `it is over large_messages.threshold_bytes (${this.threshold})`;
    const pointerProblem = pointerAttributeProblem(message.attributeCount, this.sizeAttribute);
    if (pointerProblem !== undefined) {
      return `The message is ${message.bytes} bytes and must go through S3 (${why}), but it has ${message.attributeCount} message attributes: ${pointerProblem}.`;
    }
    const attributeBytes = message.bytes - message.bodyBytes;
    const longestPointer = Buffer.byteLength(pointerBody(s3.bucket, "k".repeat(maxObjectKeyBytes(s3.prefix))));
    const pointerBytes = longestPointer + attributeBytes + payloadSizeAttribute(this.sizeAttribute, message.bodyBytes).bytes;
    if (pointerBytes > this.maxMessageBytes) {
      return (
        `The message's attributes (${attributeBytes} bytes) leave no room for the S3 pointer within max_message_bytes (${this.maxMessageBytes}); ` +
        "shorten the message attributes or raise max_message_bytes."
      );
    }
    return undefined;
  }
}
