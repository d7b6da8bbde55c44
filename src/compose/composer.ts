import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { QueueUrlCheck } from "../aws/queue-hosts.js";
import { isQueueUrl } from "../aws/queues.js";
import type { OutgoingMessage } from "../delivery/types.js";
import type { ChangeType, Config, MessageAttributeSetting, QueueType, ValueSource } from "../config/types.js";
import { UserFacingError } from "../errors.js";
import { type ConfiguredStream, streamLabel } from "../protocol/messages.js";
import { LargeMessagePolicy } from "../large-messages/policy.js";
import { queueTypeSettingIssues } from "../queue-type.js";
import { MAX_MESSAGE_BYTES } from "../sqs-limits.js";
import { compileBody } from "./body.js";
import { defaultDeduplicationId, defaultMessageId } from "./ids.js";
import { isRejection, quoteValue, type Result, RowRejection } from "./rejection.js";
import { checkAttribute, checkDelaySeconds, checkFifoId, checkJsonBody, checkQueueValue, encodeAttribute } from "./sqs-rules.js";
import { createTemplateCompiler, type TemplateCompiler } from "./template/compile.js";
import type { TemplateScope } from "./template/scope.js";
import { compileValueSource, type CompiledValueSource } from "./value-source.js";

export interface RowInput {
  /** The record's data. */
  data: Record<string, unknown>;
  change: ChangeType;
  /** The last published version of the row (snapshot mode only). */
  previous?: Record<string, unknown> | undefined;
  stream: string;
  namespace?: string | null | undefined;
  emittedAt: number;
  /** The catalog's primary key for this stream, if any. */
  primaryKey?: string[][] | undefined;
  syncId?: number | undefined;
  generationId?: number | undefined;
  /** The record's `meta`, as the source sent it. */
  meta?: unknown;
  /** The stream's destination_object_name (Airbyte data activation): its queue, unless `queue` is set per row. */
  destinationObject?: string | undefined;
}

/** A message as delivery takes it, before its queue is resolved to a URL and a checkpoint ticket is attached. */
export type ComposedMessage = Omit<OutgoingMessage, "queueUrl" | "ticket"> & {
  /** A queue URL or a bare queue name, as the value source yielded it. */
  queue: string;
};

/** A rejected row, named by its message id: `reason` is a full sentence naming it, the setting and its source. */
export class ComposeRejection extends RowRejection {
  readonly reason: string;

  constructor(
    readonly messageId: string,
    rejection: RowRejection,
  ) {
    super(rejection.setting, rejection.problem);
    this.reason = `Row with message id ${JSON.stringify(messageId)} was rejected: ${rejection.problem}`;
  }
}

/** A Result<ComposedMessage> whose rejection names the row. */
export type ComposeResult = ComposedMessage | ComposeRejection;

export interface Composer {
  compose(row: RowInput): ComposeResult;
  /**
   * The row's message id without composing it: names a row rejected before composition (by
   * change detection). Falls back to the default id when message_id has no value for the row.
   */
  messageIdOf(row: RowInput): string;
}

interface CompiledAttribute {
  name: string;
  dataType: MessageAttributeSetting["data_type"];
  value: CompiledValueSource;
  /** Name and data type bytes, which SQS counts toward the message size. */
  overheadBytes: number;
}

/** `detail` adds to the source's description, e.g. `attribute "n", Number`. */
function rejectValue(source: CompiledValueSource, value: string, problem: string, detail?: string): RowRejection {
  const described = detail === undefined ? source.origin : `${detail}, from ${source.origin}`;
  return new RowRejection(source.setting, `${source.setting} (${described}) is ${quoteValue(value)}, which ${problem}.`);
}

/** The source's value for the row, or a rejection when `check` finds a problem with it. */
function checkedValue(source: CompiledValueSource, scope: TemplateScope, check: (value: string) => string | undefined): Result<string> {
  const value = source.require(scope);
  if (isRejection(value)) return value;
  const problem = check(value);
  return problem === undefined ? value : rejectValue(source, value, problem);
}

/**
 * The loader refuses these settings; a Config built another way is held to the FIFO rules too
 * (a deduplication id on a standard queue is left unsent rather than refused).
 */
function assertQueueTypeSettings(config: Config): void {
  if (config.queue_type !== "fifo") return;
  const issues = queueTypeSettingIssues(config);
  if (issues.length > 0) throw new UserFacingError(`${issues.join("; ")}.`);
}

function compileAttribute(setting: MessageAttributeSetting, index: number, templates: TemplateCompiler): CompiledAttribute {
  return {
    name: setting.name,
    dataType: setting.data_type,
    value: compileValueSource(`message_attributes[${index}].value`, setting.value, templates),
    overheadBytes: Buffer.byteLength(setting.name) + Buffer.byteLength(setting.data_type),
  };
}

function toScope(row: RowInput): TemplateScope {
  return {
    row: row.data,
    change: row.change,
    previous: row.previous ?? null,
    stream: row.stream,
    namespace: row.namespace ?? null,
    emitted_at: row.emittedAt,
    sync_id: row.syncId ?? null,
    generation_id: row.generationId ?? null,
    meta: row.meta ?? null,
  };
}

interface ComposerOptions {
  /** Refuses queue URLs that name a host other than this connector's SQS (rows must not steer requests). */
  checkQueueUrl: QueueUrlCheck;
  /** The catalog's streams, whose destination_object_name must name a usable queue: checked at start. */
  streams?: Iterable<ConfiguredStream> | undefined;
}

/** Why `value` cannot be a queue of `queueType`, as a phrase that follows "which"; undefined when it can. */
function queueProblem(value: string, queueType: QueueType, checkQueueUrl: QueueUrlCheck): string | undefined {
  return checkQueueValue(value, queueType) ?? (isQueueUrl(value) ? checkQueueUrl(value) : undefined);
}

/** The destination object of a stream, held to the rules of every queue. */
function assertDestinationObjects(streams: Iterable<ConfiguredStream>, queueType: QueueType, checkQueueUrl: QueueUrlCheck): void {
  for (const { stream, destination_object_name: value } of streams) {
    const problem = value === undefined ? undefined : queueProblem(value, queueType, checkQueueUrl);
    if (problem === undefined) continue;
    throw new UserFacingError(
      `The catalog's stream "${streamLabel(stream.name, stream.namespace)}" has destination_object_name ${JSON.stringify(value)}, which ${problem}. ` +
        `Map the stream to a queue of queue_type "${queueType}" in the connection, or correct the catalog.`,
    );
  }
}

export function createComposer(config: Config, options: ComposerOptions): Composer {
  assertQueueTypeSettings(config);
  if (options.streams !== undefined) assertDestinationObjects(options.streams, config.queue_type, options.checkQueueUrl);
  const templates = createTemplateCompiler(config.max_message_bytes);
  const compile = (setting: string, source: ValueSource | undefined) => source && compileValueSource(setting, source, templates);

  const fifo = config.queue_type === "fifo";
  const maxBytes = config.max_message_bytes;
  const largeMessages = LargeMessagePolicy.of(config);
  const queue = compileValueSource("queue", config.queue, templates);
  /** A per-row queue (column or template) decides over a stream's destination object. */
  const queuePerRow = config.queue.source !== "static";
  const messageIdSource = compile("message_id", config.message_id);
  const composeBody = compileBody(config.message_body, templates);
  const groupIdSource = compile("message_group_id", config.message_group_id);
  const dedupIdSource = fifo ? compile("message_deduplication_id", config.message_deduplication_id) : undefined;
  const delaySource = compile("delay_seconds", config.delay_seconds);
  const attributes = config.message_attributes.map((setting, index) => compileAttribute(setting, index, templates));

  /** The last queue value found good: most syncs use one queue, or a few in runs. */
  let goodQueue: string | undefined;
  function checkQueue(value: string): string | undefined {
    if (value === goodQueue) return undefined;
    const problem = queueProblem(value, config.queue_type, options.checkQueueUrl);
    if (problem === undefined) goodQueue = value;
    return problem;
  }

  /** Adds the attributes to the message, or returns why the row is rejected. */
  function addAttributes(message: ComposedMessage, scope: TemplateScope): RowRejection | undefined {
    const entries: [string, MessageAttributeValue][] = [];
    for (const attribute of attributes) {
      const text = attribute.value.require(scope);
      if (isRejection(text)) return text;
      const problem = checkAttribute(attribute.dataType, text);
      if (problem !== undefined) {
        return rejectValue(attribute.value, text, problem, `attribute ${JSON.stringify(attribute.name)}, ${attribute.dataType}`);
      }
      const encoded = encodeAttribute(attribute.dataType, text);
      entries.push([attribute.name, encoded.value]);
      message.bytes += attribute.overheadBytes + encoded.bytes;
    }
    // fromEntries defines own properties, so an attribute named "__proto__" stays an attribute.
    message.attributes = Object.fromEntries(entries);
    return undefined;
  }

  function sizeRejection(bytes: number, bodyBytes: number): RowRejection | undefined {
    if (largeMessages.offloads(bytes)) {
      const problem = largeMessages.offloadProblem({ bytes, bodyBytes, attributeCount: attributes.length });
      return problem === undefined ? undefined : new RowRejection("large_messages", problem);
    }
    if (bytes <= maxBytes) return undefined;
    return new RowRejection(
      "max_message_bytes",
      `The message is ${bytes} bytes (body and attributes), over max_message_bytes (${maxBytes}); shrink the body, raise max_message_bytes (SQS allows up to ${MAX_MESSAGE_BYTES}) or set large_messages.policy to "s3" to send it through S3.`,
    );
  }

  function queueOf(row: RowInput, scope: TemplateScope): Result<string> {
    const destination = row.destinationObject;
    if (destination === undefined || queuePerRow) return checkedValue(queue, scope, checkQueue);
    const problem = checkQueue(destination);
    if (problem === undefined) return destination;
    return new RowRejection("queue", `The stream's destination_object_name is ${quoteValue(destination)}, which ${problem}.`);
  }

  function composeMessage(row: RowInput, scope: TemplateScope, messageId: string): Result<ComposedMessage> {
    const queueName = queueOf(row, scope);
    if (isRejection(queueName)) return queueName;
    const body = composeBody(scope);
    if (isRejection(body)) return body;
    const bodyProblem = checkJsonBody(body);
    if (bodyProblem) {
      return new RowRejection("message_body", `The message body ${bodyProblem}; fix the source data or the body setting.`);
    }
    const bodyBytes = Buffer.byteLength(body);
    const message: ComposedMessage = { queue: queueName, messageId, body, bytes: bodyBytes };
    if (groupIdSource) {
      const groupId = checkedValue(groupIdSource, scope, checkFifoId);
      if (isRejection(groupId)) return groupId;
      message.groupId = groupId;
    }
    if (fifo) {
      const dedupId = dedupIdSource ? checkedValue(dedupIdSource, scope, checkFifoId) : defaultDeduplicationId(messageId, row.change, body);
      if (isRejection(dedupId)) return dedupId;
      message.dedupId = dedupId;
    }
    if (delaySource) {
      const delay = checkedValue(delaySource, scope, checkDelaySeconds);
      if (isRejection(delay)) return delay;
      message.delaySeconds = Number(delay);
    }
    if (attributes.length > 0) {
      const rejection = addAttributes(message, scope);
      if (rejection) return rejection;
    }
    return sizeRejection(message.bytes, bodyBytes) ?? message;
  }

  function messageIdOf(row: RowInput, scope: TemplateScope): string {
    const messageId = messageIdSource?.require(scope);
    return messageId === undefined || isRejection(messageId) ? defaultMessageId(row) : messageId;
  }

  return {
    messageIdOf: (row) => messageIdOf(row, toScope(row)),
    compose(row) {
      const scope = toScope(row);
      const messageId = messageIdSource ? messageIdSource.require(scope) : defaultMessageId(row);
      // When message_id itself has no value, the row is named by its default id.
      if (isRejection(messageId)) return new ComposeRejection(defaultMessageId(row), messageId);
      const message = composeMessage(row, scope, messageId);
      return isRejection(message) ? new ComposeRejection(messageId, message) : message;
    },
  };
}
