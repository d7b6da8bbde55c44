import type { Alerts, ValueSource } from "../config/types.js";
import type { LogLevel } from "../protocol/messages.js";
import type { SyncSummary } from "./summary.js";

/** Used by the metadata test too: the registry must allow this host. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
/** An alert endpoint that has not answered by then is given up on: alerts never hold up a sync. */
const ALERT_TIMEOUT_MS = 5000;
export const CONNECTOR = "destination-sqs";

/** What an alert is about: one per sync at most, a failure taking precedence over rejected rows. */
export interface AlertEvent {
  event: "sync_failed" | "rejected_rows";
  severity: "error" | "warning";
  /** One short sentence saying what happened where, without the details. */
  headline: string;
  /** One sentence saying what happened, with the failure or the first rejection. */
  summary: string;
  /** Where the sync was publishing: the queue setting, as configured. */
  queue: string;
  sync: SyncSummary;
}

/** Says which alert, if any, the sync's outcome calls for under the `alerts` settings. */
export function alertEventFor(alerts: Alerts, sync: SyncSummary, queue: ValueSource): AlertEvent | undefined {
  const where = describeQueue(queue);
  if (sync.failure !== undefined && (alerts.on_failure ?? true)) {
    return {
      event: "sync_failed",
      severity: "error",
      headline: `The ${CONNECTOR} sync to ${where} failed (${sync.failure.failure_type}).`,
      summary: `The ${CONNECTOR} sync to ${where} failed: ${sync.failure.message}`,
      queue: where,
      sync,
    };
  }
  const threshold = alerts.rejected_rows_threshold ?? 1;
  const rejected = sync.totals.rejected;
  if (rejected < threshold) return undefined;
  const first = sync.streams.flatMap((stream) => stream.rejections)[0];
  const what = `The ${CONNECTOR} sync to ${where} rejected ${rejected} row${rejected === 1 ? "" : "s"} (alerts.rejected_rows_threshold is ${threshold})`;
  return {
    event: "rejected_rows",
    severity: "warning",
    headline: `${what}.`,
    summary: what + (first === undefined ? "." : `; the first: ${first.reason}`),
    queue: where,
    sync,
  };
}

function describeQueue(queue: ValueSource): string {
  switch (queue.source) {
    case "static":
      return `queue ${queue.value}`;
    case "column":
      return `the queues named by column "${queue.column}"`;
    case "template":
      return `the queues of template "${queue.template}"`;
  }
}

/** One alert to send: to which service, and how. */
export interface AlertDelivery {
  service: "Slack" | "PagerDuty" | "webhook" | "Amazon SNS";
  /** The config field to check when the delivery fails. */
  setting: string;
  /** Sends the alert, giving up when `signal` aborts; the problem in a few words, or undefined when it was accepted. */
  send(signal: AbortSignal): Promise<string | undefined>;
}

/** The title of an alert: a Slack header, an email subject. */
export function alertTitle(event: AlertEvent): string {
  return event.event === "sync_failed" ? `${CONNECTOR}: sync failed` : `${CONNECTOR}: rows rejected`;
}

/** The requests that deliver `event` to every service `alerts` configures. */
export function alertDeliveries(alerts: Alerts, event: AlertEvent, pagerDutyUrl = PAGERDUTY_EVENTS_URL): AlertDelivery[] {
  const deliveries: AlertDelivery[] = [];
  if (alerts.slack_webhook_url) {
    deliveries.push(jsonPost("Slack", "alerts.slack_webhook_url", alerts.slack_webhook_url, slackMessage(event)));
  }
  if (alerts.pagerduty_routing_key) {
    deliveries.push(
      jsonPost("PagerDuty", "alerts.pagerduty_routing_key", pagerDutyUrl, pagerDutyEvent(event, alerts.pagerduty_routing_key)),
    );
  }
  if (alerts.webhook_url) {
    deliveries.push(jsonPost("webhook", "alerts.webhook_url", alerts.webhook_url, webhookEvent(event)));
  }
  return deliveries;
}

/** `text` cut to at most `max` characters, the cut marked by `ellipsis`. */
export function truncate(text: string, max: number, ellipsis = "…"): string {
  return text.length > max ? `${text.slice(0, max - ellipsis.length)}${ellipsis}` : text;
}

/** Slack's mrkdwn treats these three as control characters. */
function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function slackMessage(event: AlertEvent): unknown {
  const { totals } = event.sync;
  const title = alertTitle(event);
  const field = (label: string, value: number | string) => ({ type: "mrkdwn", text: `*${label}*\n${value}` });
  return {
    text: slackEscape(truncate(event.summary, 3000)),
    blocks: [
      { type: "header", text: { type: "plain_text", text: title } },
      { type: "section", text: { type: "mrkdwn", text: slackEscape(truncate(event.summary, 3000)) } },
      {
        type: "section",
        fields: [
          field("Records read", totals.records_read),
          field("Published", totals.published),
          field("Rejected", totals.rejected),
          field("Duration", `${event.sync.duration_seconds} s`),
        ],
      },
    ],
  };
}

/** A PagerDuty Events API v2 trigger; a repeat of the same problem on the same queue joins the open incident. */
function pagerDutyEvent(event: AlertEvent, routingKey: string): unknown {
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: truncate(`${CONNECTOR}/${event.event}/${event.queue}`, 255),
    payload: {
      summary: truncate(event.summary, 1024),
      source: event.queue,
      severity: event.severity,
      component: CONNECTOR,
      class: event.event,
      custom_details: event.sync,
    },
  };
}

function webhookEvent(event: AlertEvent): unknown {
  return {
    event: event.event,
    connector: CONNECTOR,
    severity: event.severity,
    summary: event.summary,
    queue: event.queue,
    ...(event.sync.failure === undefined ? {} : { failure: event.sync.failure }),
    sync: event.sync,
  };
}

interface SendAlertOptions {
  timeoutMs?: number | undefined;
  log(level: LogLevel, text: string): Promise<void>;
}

/**
 * Sends every delivery at once and logs how each went. Never throws: an alert service that is
 * down or slow costs at most `timeoutMs` in all and a WARN line, never the sync.
 */
export async function sendAlerts(event: AlertEvent, deliveries: AlertDelivery[], options: SendAlertOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? ALERT_TIMEOUT_MS;
  const deadline = new AbortController();
  const givenUp = new Promise<string>((resolve) =>
    deadline.signal.addEventListener("abort", () => resolve(noAnswerWithin(timeoutMs)), { once: true }),
  );
  // Not AbortSignal.timeout: its timer does not keep the process alive while a delivery waits.
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    await Promise.all(
      deliveries.map(async (delivery) => {
        // A delivery may be held up before its request can notice the signal (e.g. by assuming a role).
        const outcome = await Promise.race([delivery.send(deadline.signal), givenUp]);
        const problem = outcome !== undefined && deadline.signal.aborted ? noAnswerWithin(timeoutMs) : outcome;
        if (problem === undefined) {
          await options.log("INFO", `Sent the ${event.event} alert to ${delivery.service}.`);
        } else {
          await options.log(
            "WARN",
            `Could not send the ${event.event} alert to ${delivery.service} (${problem}); the sync's outcome is not affected. Check ${delivery.setting} and that this host can reach it.`,
          );
        }
      }),
    );
  } finally {
    clearTimeout(timer);
  }
}

function noAnswerWithin(timeoutMs: number): string {
  return `no answer within ${timeoutMs / 1000} s`;
}

// Exported only for test/alerts.test.ts.
/** A delivery that POSTs `body` as JSON to `url`. */
export function jsonPost(service: AlertDelivery["service"], setting: string, url: string, body: unknown): AlertDelivery {
  return {
    service,
    setting,
    async send(signal) {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal,
        });
        await response.body?.cancel();
        return response.ok ? undefined : `the endpoint answered HTTP ${response.status}`;
      } catch (error) {
        return describeFetchError(error);
      }
    },
  };
}

function describeFetchError(error: unknown): string {
  const { message, cause } = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof cause?.code === "string") return `could not connect: ${cause.code}`;
  if (typeof cause?.message === "string") return cause.message;
  return typeof message === "string" ? message : String(error);
}
