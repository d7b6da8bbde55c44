import type { Config } from "../config/types.js";
import { isQueueUrl } from "./queues.js";

/** The SQS client's endpoint resolver, as far as this module uses it. */
type SqsEndpointResolver = (parameters: { Region: string; UseFIPS: boolean; UseDualStack: boolean }) => { url: URL };

/** Says why a queue URL may not be used, or undefined when it may. */
export type QueueUrlCheck = (url: string) => string | undefined;

/**
 * The host name of an http(s) URL, split by hand: emulators hand out queue URLs such as
 * http://sqs.us-east-1.127.0.0.1:4566/… that WHATWG URL parsing rejects. Any user info before
 * an "@" is not part of the host.
 */
function hostnameOf(url: string): string | undefined {
  const match = /^https?:\/\/([^/?#]*)/i.exec(url);
  if (!match) return undefined;
  const authority = match[1]!.slice(match[1]!.lastIndexOf("@") + 1).toLowerCase();
  const hostname = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(authority)?.[1]?.replace(/\.$/, "");
  return hostname || undefined;
}

/** SQS's hostnames in `region`: regional, FIPS, dual-stack, and the legacy queue.amazonaws.com forms. */
function regionalHostnames(region: string, resolve: SqsEndpointResolver): Set<string> {
  const hostnames = new Set<string>();
  for (const UseFIPS of [false, true]) {
    for (const UseDualStack of [false, true]) {
      try {
        hostnames.add(resolve({ Region: region, UseFIPS, UseDualStack }).url.hostname.toLowerCase());
      } catch {
        // The partition offers no such variant (e.g. FIPS outside the US and Canada).
      }
    }
  }
  const regional = resolve({ Region: region, UseFIPS: false, UseDualStack: false }).url.hostname.toLowerCase();
  const dnsSuffix = regional.startsWith(`sqs.${region}.`) ? regional.slice(`sqs.${region}.`.length) : undefined;
  if (dnsSuffix) {
    hostnames.add(`${region}.queue.${dnsSuffix}`);
    if (region === "us-east-1") hostnames.add(`queue.${dnsSuffix}`);
  }
  return hostnames;
}

/**
 * Which hosts a queue URL may name. Requests only ever go to the configured endpoint, or to the
 * region's SQS endpoint when none is set, so a queue URL's host steers nothing: it is sent as the
 * QueueUrl parameter. With an endpoint, any host is taken, as emulators hand out URLs on names of
 * their own (fauxqs: sqs.<region>.localhost, LocalStack: sqs.<region>.localhost.localstack.cloud,
 * ElasticMQ: its node address) whatever address the client used. Without one, a queue URL must
 * name one of SQS's hosts in the configured region, so a row cannot name some other host.
 */
export function queueUrlCheck(config: Pick<Config, "region" | "endpoint">, resolve: SqsEndpointResolver): QueueUrlCheck {
  const regional = config.endpoint === undefined ? regionalHostnames(config.region, resolve) : undefined;
  return (url) => {
    const hostname = hostnameOf(url);
    if (hostname === undefined) {
      return `is not an http(s) URL with a host: use a queue URL such as https://sqs.${config.region}.amazonaws.com/<account>/<queue>, or the queue's name`;
    }
    if (regional === undefined || regional.has(hostname)) return undefined;
    return (
      `names the host ${hostname}, not an SQS host of region ${config.region}: ` +
      "use the queue's own URL or its name, or set endpoint when the queues live in an emulator or behind a proxy"
    );
  };
}

/** The settings that name a queue URL outright: a static `queue`, and the dead-letter queue. */
function configuredQueueUrls(config: Pick<Config, "queue" | "rejected_rows">): { setting: string; url: string }[] {
  const urls: { setting: string; url: string }[] = [];
  if (config.queue.source === "static" && isQueueUrl(config.queue.value)) urls.push({ setting: "queue", url: config.queue.value });
  if (config.rejected_rows.policy === "dead_letter") urls.push({ setting: "rejected_rows.queue_url", url: config.rejected_rows.queue_url });
  return urls;
}

/** Why a queue URL the config names outright may not be used, as a sentence; undefined when all may. */
export function configuredQueueUrlProblem(config: Pick<Config, "queue" | "rejected_rows">, check: QueueUrlCheck): string | undefined {
  for (const { setting, url } of configuredQueueUrls(config)) {
    const problem = check(url);
    if (problem !== undefined) return `${setting} ${JSON.stringify(url)} ${problem}.`;
  }
  return undefined;
}
