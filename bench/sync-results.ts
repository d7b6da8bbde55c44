// Sync results (object_storage_config) in the benchmark: an S3 bucket on fauxqs for the results
// files (in the runner's process, so its work is not the connector's), the two scenarios, and
// their targets against a plain write.

import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { startFauxqs } from "fauxqs";

export const RESULTS_REJECTED_SCENARIO = 'connector, sync_results "rejected" (nothing rejected), null endpoint';
export const RESULTS_ALL_SCENARIO = 'connector, sync_results "all", null endpoint';
/** "rejected" with nothing rejected writes only the run's summary: it should cost nothing measurable. */
const MAX_REJECTED_CPU_RATIO = 1.05;
const MAX_ALL_CPU_RATIO = 1.2;

export interface ResultsBucket {
  /** object_storage_config for the bench connector. */
  storage: object;
  stop(): Promise<void>;
}

export async function startResultsBucket(): Promise<ResultsBucket> {
  const server = await startFauxqs({ port: 0, logger: false });
  const bucket = "bench-results";
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: server.address,
    forcePathStyle: true,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return {
    storage: {
      storage_type: "S3",
      s3_bucket_name: bucket,
      s3_bucket_region: "us-east-1",
      bucket_path: "destination-sqs/results",
      s3_endpoint: server.address,
      force_path_style: true,
    },
    stop: () => server.stop(),
  };
}

interface Measured {
  cpuMsPer1k: number;
  peakRssMb: number;
}

export interface ResultsCheck {
  target: string;
  measured: string;
  pass: boolean;
}

/** The targets of the two scenarios against a plain write on the same endpoint. */
export function syncResultsChecks(
  plain: Measured,
  rejected: Measured | undefined,
  all: Measured | undefined,
  maxRssMb: number,
): ResultsCheck[] {
  const ratio = (measured: Measured): string =>
    `${(measured.cpuMsPer1k / plain.cpuMsPer1k).toFixed(2)}× (${measured.cpuMsPer1k.toFixed(1)} vs ${plain.cpuMsPer1k.toFixed(1)} ms / 1k)`;
  return [
    ...(rejected === undefined
      ? []
      : [
          {
            target: `sync results "rejected", nothing rejected: ≤ ${MAX_REJECTED_CPU_RATIO}× the CPU per message of a plain write`,
            measured: ratio(rejected),
            pass: rejected.cpuMsPer1k <= MAX_REJECTED_CPU_RATIO * plain.cpuMsPer1k,
          },
        ]),
    ...(all === undefined
      ? []
      : [
          {
            target: `sync results "all": ≤ ${MAX_ALL_CPU_RATIO}× the CPU per message of a plain write`,
            measured: ratio(all),
            pass: all.cpuMsPer1k <= MAX_ALL_CPU_RATIO * plain.cpuMsPer1k,
          },
          {
            target: `sync results "all": peak RSS ≤ ${maxRssMb} MB`,
            measured: `${all.peakRssMb.toFixed(0)} MB (plain write ${plain.peakRssMb.toFixed(0)} MB)`,
            pass: all.peakRssMb <= maxRssMb,
          },
        ]),
  ];
}
