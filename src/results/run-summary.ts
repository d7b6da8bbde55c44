// The run's summary object beside the results files: written "running" when the run starts and
// rewritten when it ends, so a run that was killed stays visible as one that never finished.

import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SyncResultsSetting } from "../config/types.js";

/** How the run ended, with the counts of its SYNC_SUMMARY (src/observe/summary.ts) spread beside them. */
export interface RunEnd {
  status: "succeeded" | "failed";
}

interface SummaryIdentity {
  sync_id: string;
  run_id: string;
  sync_results: SyncResultsSetting;
  started_at: string;
}

export class RunSummaryObject {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly key: string,
    private readonly identity: SummaryIdentity,
  ) {}

  start(): Promise<void> {
    return this.put({ version: 1, status: "running", ...this.identity, files: [] });
  }

  /** The end of the run: its SYNC_SUMMARY fields, then this run's identity and the files it stored. */
  finish(end: RunEnd, files: readonly string[]): Promise<void> {
    return this.put({ ...end, version: 1, ...this.identity, finished_at: new Date().toISOString(), files });
  }

  private async put(summary: Record<string, unknown>): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key,
        Body: `${JSON.stringify(summary, null, 2)}\n`,
        ContentType: "application/json",
      }),
    );
  }
}
