import type { Config } from "../config/types.js";

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
 * Which hosts a queue URL may name: the configured endpoint's host (or a name under it, as
 * emulators and LocalStack hand out, e.g. sqs.us-east-1.localhost.localstack.cloud), and SQS's
 * own hosts in the configured region. Queue URLs can come from row data; this keeps a row from
 * naming some other host, even though requests only ever go to the configured or regional
 * endpoint. Ports are not compared: an endpoint may be a proxy in front of the queues' host.
 */
export function queueUrlCheck(config: Pick<Config, "region" | "endpoint">, resolve: SqsEndpointResolver): QueueUrlCheck {
  const regional = regionalHostnames(config.region, resolve);
  const endpoint = config.endpoint === undefined ? undefined : hostnameOf(config.endpoint);
  const allowed = (hostname: string): boolean =>
    regional.has(hostname) || (endpoint !== undefined && (hostname === endpoint || hostname.endsWith(`.${endpoint}`)));
  const expected = (endpoint ? `the configured endpoint's host (${endpoint}) or ` : "") + `an SQS host of region ${config.region}`;
  return (url) => {
    const hostname = hostnameOf(url);
    if (hostname === undefined) {
      return `is not an http(s) URL with a host: use a queue URL such as https://sqs.${config.region}.amazonaws.com/<account>/<queue>, or the queue's name`;
    }
    if (allowed(hostname)) return undefined;
    return (
      `names the host ${hostname}, not ${expected}: ` + `queue URLs must point at this connector's SQS; use the queue's own URL or its name`
    );
  };
}
