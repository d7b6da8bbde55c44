// preview --send's report: its shape (what --json prints, as one document) and the readable table
// printed by default.
import type { ChangeType } from "../config/types.js";
import type { QueueInspection } from "./queue-inspection.js";
import type { Md5Check } from "./row-send.js";
import type { UnsentRow } from "./sample-rows.js";

/** One row sent, and what became of it. */
export interface RowReport {
  record: number;
  line: number;
  stream: string;
  primary_key?: unknown[];
  change: ChangeType;
  /** As the queue setting yielded it. */
  queue: string;
  /** Absent when the queue could not be resolved. */
  queue_url?: string;
  message_id: string;
  group_id?: string;
  dedup_id?: string;
  /** Body plus attributes, as SQS counts them. */
  bytes: number;
  body_bytes: number;
  /** The row's own delay, else the queue's DelaySeconds (when it could be read). */
  delay_seconds?: number;
  delay_from?: "row" | "queue";
  attributes?: Record<string, { data_type: string; value: string }>;
  /** stored: SQS stored it and its MD5s match what was sent; md5_mismatch: stored, but not what was sent. */
  outcome: "stored" | "md5_mismatch" | "refused";
  sqs_message_id?: string;
  sequence_number?: string;
  md5_of_body?: Md5Check;
  md5_of_attributes?: Md5Check;
  /** The S3 pointer SQS got instead of the body (large_messages), and that pointer's size. */
  offloaded_to?: string;
  sent_body_bytes?: number;
  error?: { code: string; message: string; explanation: string };
}

export interface SendReport {
  queues: QueueInspection[];
  rows: RowReport[];
  /** Records read before N rows composed that were not sent, and why. */
  not_sent: UnsentRow[];
  summary: { sent: number; stored: number; not_stored: number; not_sent: number };
}

export function reportSummary(rows: RowReport[], notSent: number): SendReport["summary"] {
  const stored = rows.filter((row) => row.outcome === "stored").length;
  return { sent: rows.length, stored, not_stored: rows.length - stored, not_sent: notSent };
}

/** Succeeded: at least one row was sent, and SQS stored every row sent as it was sent. */
export function reportSucceeded(report: SendReport): boolean {
  return report.summary.sent > 0 && report.summary.not_stored === 0;
}

const LEVEL_MARK = { ok: "ok  ", note: "note", warning: "WARN" } as const;
const OUTCOME_WORDS = { stored: "stored", md5_mismatch: "STORED, MD5 MISMATCH", refused: "REFUSED" } as const;

/** The report as text for people: the queues' findings, a table of the rows, then each row in full. */
export function formatReport(report: SendReport): string {
  const lines: string[] = [];
  for (const queue of report.queues) {
    lines.push(`Queue ${queue.queue_url}`);
    for (const finding of queue.findings) lines.push(`  ${LEVEL_MARK[finding.level]}  ${finding.text}`);
    lines.push("");
  }
  if (report.rows.length > 0) {
    lines.push(
      ...table(
        ["#", "line", "stream", "primary key", "change", "queue", "message id", "outcome"],
        report.rows.map((row, index) => [
          String(index + 1),
          String(row.line),
          row.stream,
          row.primary_key ? JSON.stringify(row.primary_key) : "-",
          row.change,
          row.queue,
          row.message_id,
          OUTCOME_WORDS[row.outcome],
        ]),
      ),
      "",
    );
  }
  report.rows.forEach((row, index) => {
    lines.push(`Row ${index + 1} (input line ${row.line}, stream ${row.stream}): ${OUTCOME_WORDS[row.outcome]}`);
    lines.push(...fields(rowFields(row)), "");
  });
  for (const unsent of report.not_sent)
    lines.push(`Not sent: input line ${unsent.line} (stream ${unsent.stream}), ${unsent.outcome}: ${unsent.reason}`);
  if (report.not_sent.length > 0) lines.push("");
  const { sent, stored, not_stored, not_sent } = report.summary;
  lines.push(
    `Sent ${sent} row${sent === 1 ? "" : "s"}: ${stored} stored as sent, ${not_stored} not` +
      (not_sent > 0 ? `; ${not_sent} record${not_sent === 1 ? "" : "s"} read did not become a message` : "") +
      ". No STATE was echoed and no snapshot store was read or written.",
  );
  return lines.join("\n");
}

function rowFields(row: RowReport): [string, string | undefined][] {
  const attributes = row.attributes
    ? Object.entries(row.attributes)
        .map(([name, { data_type, value }]) => `${name}=${JSON.stringify(value)} (${data_type})`)
        .join(", ")
    : undefined;
  return [
    ["queue", row.queue_url ?? row.queue],
    ["message id", row.message_id],
    ["group id", row.group_id],
    ["dedup id", row.dedup_id],
    ["SQS MessageId", row.sqs_message_id],
    ["SequenceNumber", row.sequence_number],
    ["body MD5", row.md5_of_body && md5Words(row.md5_of_body)],
    ["attributes MD5", row.md5_of_attributes && md5Words(row.md5_of_attributes)],
    ["size", `${row.bytes} bytes (body ${row.body_bytes})`],
    [
      "delay",
      row.delay_seconds === undefined
        ? undefined
        : `${row.delay_seconds} s (${row.delay_from === "row" ? "the row's delay_seconds" : "the queue's DelaySeconds"})`,
    ],
    ["attributes", attributes],
    ["S3 pointer", row.offloaded_to && `${row.offloaded_to} (SQS got a ${row.sent_body_bytes}-byte pointer)`],
    ["SQS code", row.error?.code],
    ["SQS said", row.error?.message],
    ["why", row.error?.explanation],
  ];
}

function md5Words(check: Md5Check): string {
  if (check.sent === undefined && check.answered === undefined) return "none (nothing to hash)";
  if (check.matches) return `matches what was sent (${check.sent})`;
  return `DOES NOT MATCH: sent ${check.sent ?? "none"}, SQS answered ${check.answered ?? "none"}`;
}

function fields(pairs: [string, string | undefined][]): string[] {
  const present = pairs.filter((pair): pair is [string, string] => pair[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length));
  return present.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)];
}
