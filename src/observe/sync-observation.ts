import type { ApiCallObserver } from "../aws/api-calls.js";
import type { AwsClients } from "../aws/clients.js";
import { secretValues } from "../config/secrets.js";
import type { Config } from "../config/types.js";
import { type ConcurrencyLimit, concurrencyLimitFor, type LimitChange } from "../delivery/concurrency-limit.js";
import type { BatchSender } from "../delivery/types.js";
import { UserFacingError, errorMessage } from "../errors.js";
import type { MessageWriter } from "../protocol/output.js";
import { alertDeliveries, alertEventFor, sendAlerts } from "./alerts.js";
import { ApiCallLog } from "./api-call-log.js";
import { noSends, ObservedSender, type SendCounts } from "./observed-sender.js";
import { ProgressReporter } from "./progress.js";
import { Redactor } from "../redact.js";
import { snsDelivery } from "./sns-alert.js";
import { describeSummary, RunSummary, SUMMARY_PREFIX, type SyncSummary } from "./summary.js";

export interface ObservationOptions {
  /** How often progress is logged; default every 10 s. */
  progressIntervalMs?: number;
  /** Where PagerDuty events go; default PagerDuty's Events API v2. */
  pagerDutyUrl?: string;
  /** How long alerts may take in all; default 5 s. */
  alertTimeoutMs?: number;
}

/**
 * Everything a write reports besides its STATE messages: the API call log, progress lines, the run
 * summary and alerts. Usage: pass `onCall` to the AWS clients, `wrapSender(...)` as the write's
 * sender and `rows` as its observer, all inside `run(...)`.
 */
export class SyncObservation {
  /** The write's observer: counts every row. */
  readonly rows = new RunSummary();
  /** The AWS clients' call observer, when `log_api_calls` is on. */
  readonly onCall: ApiCallObserver | undefined;
  private readonly redactor: Redactor;
  private readonly apiCallLog: ApiCallLog | undefined;
  private sender: ObservedSender | undefined;
  private concurrency: ConcurrencyLimit | undefined;

  constructor(
    private readonly config: Config,
    private readonly writer: MessageWriter,
    private readonly options: ObservationOptions = {},
  ) {
    this.redactor = new Redactor(secretValues(config));
    if (config.log_api_calls) {
      this.apiCallLog = new ApiCallLog({
        bodies: config.log_message_bodies,
        redactor: this.redactor,
        log: (level, text) => void writer.log(level, text),
        concurrencyLimit: () => this.concurrency?.current,
      });
      this.onCall = this.apiCallLog.sdkCall;
    }
  }

  /** The sender to give the write: counts requests for the summary and feeds the API call log. */
  wrapSender(inner: BatchSender): BatchSender {
    this.sender = new ObservedSender(inner, this.apiCallLog?.batchCall);
    return this.sender;
  }

  /** The write's limit on requests in flight (`concurrency`, `max_in_flight`): each change is logged at DEBUG level. */
  concurrencyLimit(): ConcurrencyLimit {
    this.concurrency = concurrencyLimitFor(this.config, (change) => void this.writer.log("DEBUG", describeLimitChange(change)));
    return this.concurrency;
  }

  /**
   * Runs the write with progress reports, then logs the run summary and sends the alert the
   * outcome calls for, whether the write succeeded or threw. The write's error is rethrown as is.
   * `aws` publishes the SNS alert; `onSummary` sees the summary too (the sync results store it).
   */
  async run<T>(
    write: () => Promise<T>,
    aws: Pick<AwsClients, "sns">,
    onSummary: (summary: SyncSummary) => Promise<void> = async () => undefined,
  ): Promise<T> {
    const progress = new ProgressReporter(
      {
        rows: () => this.rows.current,
        sent: () => this.sentCounts(),
        concurrency: () => this.concurrency?.stats,
        log: (text) => void this.writer.log("INFO", text),
      },
      this.options.progressIntervalMs,
    );
    progress.start();
    try {
      const result = await write();
      progress.stop();
      const summary = this.rows.finish(this.sentCounts(), undefined, this.concurrency?.stats);
      await this.report(summary, aws);
      await onSummary(summary);
      return result;
    } catch (error) {
      progress.stop();
      const summary = this.rows.finish(this.sentCounts(), failureOf(error), this.concurrency?.stats);
      await this.report(summary, aws);
      await onSummary(summary);
      throw error;
    }
  }

  private sentCounts(): SendCounts {
    return this.sender?.stats ?? noSends();
  }

  private async report(summary: SyncSummary, aws: Pick<AwsClients, "sns">): Promise<void> {
    const level = summary.status === "succeeded" ? "INFO" : "ERROR";
    for (const line of describeSummary(summary)) await this.writer.log(level, line);
    await this.writer.log("INFO", SUMMARY_PREFIX + JSON.stringify(summary));
    const { alerts } = this.config;
    if (alerts === undefined) return;
    const event = alertEventFor(alerts, summary, this.config.queue);
    if (event === undefined) return;
    // Alerts leave through the network, not the protocol writer that redacts stdout.
    const redacted = this.redactor.value(event);
    const sns = snsDelivery(this.config, redacted, aws.sns);
    const deliveries = [...alertDeliveries(alerts, redacted, this.options.pagerDutyUrl), ...(sns ? [sns] : [])];
    await sendAlerts(redacted, deliveries, {
      timeoutMs: this.options.alertTimeoutMs,
      log: (level, text) => this.writer.log(level, text),
    });
  }
}

const CHANGE_CAUSES: Record<LimitChange["reason"], string> = {
  "slow start": "every slot in use, round trips steady: doubling",
  probing: "every slot in use, round trips steady",
  throttled: "SQS throttled requests",
  undone:
    "throttling went on at the lower limit, far more often than a queue past its rate would throttle, so it is not the connector's load: the cut is undone",
  latency: "round trips climbed above their floor",
};

// Exported only for test/observe.test.ts.
export function describeLimitChange({ from, to, reason, floorRttMs, rttMs }: LimitChange): string {
  const rtt = rttMs > 0 ? ` (round trip ${rttMs.toFixed(1)} ms, floor ${floorRttMs.toFixed(1)} ms)` : "";
  return `Concurrency limit ${from} → ${to} requests in flight: ${CHANGE_CAUSES[reason]}${rtt}.`;
}

function failureOf(error: unknown): NonNullable<SyncSummary["failure"]> {
  if (error instanceof UserFacingError) return { failure_type: error.failureType, message: error.message };
  return {
    failure_type: "system_error",
    message: `The connector failed unexpectedly: ${errorMessage(error)}`,
  };
}
