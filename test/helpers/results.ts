// Results files as the results writer lays them out (gzip JSON Lines of ResultLine), put in a test bucket.
import { gzipSync } from "node:zlib";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { partName, type ResultLine, streamPrefix } from "../../src/results/format.js";

/** A result of sync "42" for stream "people": every field null but those given. */
export function resultLine(fields: Partial<ResultLine>): ResultLine {
  return {
    sync_id: "42",
    run_id: "run-1",
    recorded_at: "2026-12-01T10:00:00.000Z",
    outcome: "rejected",
    namespace: null,
    stream: "people",
    primary_key: null,
    change: null,
    message_id: null,
    queue: null,
    sqs_message_id: null,
    sequence_number: null,
    bytes: null,
    s3_pointer: null,
    rejected_reason: null,
    rejected_message: null,
    skipped_reason: null,
    data: null,
    emitted_at: null,
    meta: null,
    ...fields,
  };
}

/** A rejected row of `data` (primary key `id`), as write records it. */
export function rejectedRow(data: Record<string, unknown>, fields: Partial<ResultLine> = {}): ResultLine {
  return resultLine({
    primary_key: JSON.stringify([data.id]),
    change: "added",
    message_id: String(data.id),
    rejected_reason: "template_error",
    rejected_message: "the body template failed",
    data: JSON.stringify(data),
    emitted_at: 1_700_000_000_000,
    ...fields,
  });
}

/** The gzip file of `lines`: ResultLine objects encoded as JSON, strings written as they are. */
export function resultsFile(lines: (ResultLine | string)[]): Buffer {
  return gzipSync(lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n") + "\n");
}

/** The key of part `part` of a stream's results, as the writer names it, under `bucketPath` for sync "42". */
export function resultsKey(
  bucketPath: string,
  stream: string,
  part: number,
  options: { namespace?: string; syncId?: string } = {},
): string {
  return `${streamPrefix(bucketPath, options.syncId ?? "42", options.namespace, stream)}${partName(new Date(Date.UTC(2026, 11, 1, 10, part)), part)}`;
}

export async function putObject(s3: S3Client, bucket: string, key: string, body: Buffer | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}
