import { ListQueuesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { UserFacingError } from "../errors.js";

/** Where SQS calls go, for messages that tell the user where a queue was looked for. */
interface SqsLocation {
  region: string;
  endpoint?: string;
}

export class QueueNotFoundError extends UserFacingError {
  /** `setting` names the config key the queue came from, when that is not plain `queue`. */
  constructor(
    readonly queueName: string,
    location: SqsLocation,
    setting = "queue",
  ) {
    super(
      `Queue "${queueName}" (${setting}) was not found in region ${location.region}` +
        (location.endpoint ? ` at endpoint ${location.endpoint}` : "") +
        `: check the queue name, the region, and that the credentials may list it (sqs:ListQueues).`,
    );
    this.name = "QueueNotFoundError";
  }
}

export function isQueueUrl(nameOrUrl: string): boolean {
  return /^https?:\/\//i.test(nameOrUrl);
}

/**
 * The queue's name: the last segment of its URL's path. Split by hand because emulators hand
 * out URLs such as http://sqs.us-east-1.127.0.0.1:4566/… that WHATWG URL parsing rejects.
 */
export function queueNameFromUrl(url: string): string {
  const path = url.replace(/^https?:\/\/[^/?#]*/i, "").split(/[?#]/, 1)[0] ?? "";
  const segments = path.split("/").filter((segment) => segment !== "");
  return segments.at(-1) ?? "";
}

/** Enough pages for any prefix: an account holds at most a few hundred thousand queues. */
const MAX_LIST_PAGES = 1000;

/** The URLs of the queues the credentials see whose names start with `prefix`, a page at a time. */
async function* queueUrlPages(sqs: SQSClient, prefix?: string): AsyncGenerator<string[]> {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const response = await sqs.send(
      new ListQueuesCommand({
        MaxResults: 1000,
        ...(prefix ? { QueueNamePrefix: prefix } : {}),
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    yield response.QueueUrls ?? [];
    nextToken = response.NextToken;
    if (!nextToken) return;
  }
}

/** The URL of the queue named exactly `name`, or undefined when the credentials see none. */
export async function findQueueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  for await (const urls of queueUrlPages(sqs, name)) {
    const match = urls.find((url) => queueNameFromUrl(url) === name);
    if (match) return match;
  }
  return undefined;
}

/** The URLs of every queue the credentials see. */
export async function listQueueUrls(sqs: SQSClient): Promise<string[]> {
  const all: string[] = [];
  for await (const urls of queueUrlPages(sqs)) all.push(...urls);
  return all;
}

/**
 * Turns the `queue` setting's value into a queue URL. A URL is used as it is; a bare name is
 * looked up once with ListQueues and remembered, and concurrent callers share that one lookup.
 * A lookup that failed for another reason than a missing queue is forgotten, so the next caller
 * tries again.
 */
export class QueueResolver {
  private readonly lookups = new Map<string, Promise<string>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly location: SqsLocation,
    private readonly setting = "queue",
  ) {}

  resolve(nameOrUrl: string): Promise<string> {
    if (isQueueUrl(nameOrUrl)) return Promise.resolve(nameOrUrl);
    let lookup = this.lookups.get(nameOrUrl);
    if (!lookup) {
      lookup = this.lookUp(nameOrUrl);
      this.lookups.set(nameOrUrl, lookup);
      lookup.catch((error: unknown) => {
        if (!(error instanceof QueueNotFoundError)) this.lookups.delete(nameOrUrl);
      });
    }
    return lookup;
  }

  private async lookUp(name: string): Promise<string> {
    const url = await findQueueUrl(this.sqs, name);
    if (url === undefined) throw new QueueNotFoundError(name, this.location, this.setting);
    return url;
  }
}
