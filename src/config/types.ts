// The validated configuration: the shape of spec.json after ajv has applied its defaults.
// Key names are the public contract (see docs/configuration.md).

export type ValueSource =
  | { source: "static"; value: string }
  | { source: "column"; column: string }
  | { source: "template"; template: string };

export type Credentials =
  | { auth_type: "access_key"; access_key_id: string; secret_access_key: string; session_token?: string }
  | { auth_type: "default_chain" };

export type QueueType = "standard" | "fifo";

export type MessageBody =
  | { format: "record" }
  | { format: "column"; column: string }
  | { format: "columns"; columns: { column: string; field?: string }[] }
  | { format: "template"; template: string };

export type AttributeDataType = "String" | "Number" | "Binary";

export interface MessageAttributeSetting {
  name: string;
  data_type: AttributeDataType;
  value: ValueSource;
}

export type ChangeType = "added" | "changed" | "removed";

export type ChangeDetection =
  | { mode: "none" }
  | {
      mode: "field";
      field: string;
      added_values?: string[];
      changed_values?: string[];
      removed_values?: string[];
    }
  | { mode: "cdc" }
  | {
      mode: "snapshot";
      store?: SnapshotStoreSetting;
      /** Deprecated alias of `store: {type: "local", directory}`. */
      state_directory?: string;
      primary_key?: string[][];
      compare_columns?: string[];
      initial_sync?: "backfill" | "changes_only";
      /** Empty the snapshot before this sync, which then counts as the first. */
      reset?: boolean;
      /** A Clear job publishes the stream's stored rows as removed instead of only forgetting them. */
      publish_removals_on_clear?: boolean;
    };

/** Where the snapshot lives between syncs. */
export type SnapshotStoreSetting = ({ type: "s3" } & S3Settings) | { type: "local"; directory: string };

/** Where an S3 bucket is and how to reach it: shared by the snapshot store and large messages. */
export interface S3Settings {
  bucket: string;
  prefix?: string;
  /** Defaults to the connector's `region`. */
  region?: string;
  /** For S3-compatible stores (MinIO, LocalStack, Ceph, the test emulators). */
  endpoint?: string;
  force_path_style?: boolean;
}

/** Messages over the threshold: rejected, or their body stored in S3 behind an SQS Extended Client pointer. */
export type LargeMessages =
  | { policy: "reject" }
  | ({
      policy: "s3";
      /** Default: max_message_bytes. */
      threshold_bytes?: number;
      /** Offload every message, whatever its size. */
      always?: boolean;
      /** The Number attribute that marks a pointer; default SQSLargePayloadSize. */
      size_attribute?: PayloadSizeAttribute;
    } & S3Settings);

/** The names the SQS Extended Client libraries give the attribute that marks a pointer. */
export type PayloadSizeAttribute = "SQSLargePayloadSize" | "ExtendedPayloadSize";

export type RejectedRows =
  | { policy: "fail" }
  | { policy: "skip"; max_rejected_rows?: number }
  | { policy: "dead_letter"; queue_url: string };

/** Where sync results go: Airbyte's `object_storage_config`, with its key names. */
export type ObjectStorageConfig = { storage_type: "None" } | ObjectStorageS3;

export interface ObjectStorageS3 {
  storage_type: "S3";
  s3_bucket_name: string;
  s3_bucket_region: string;
  bucket_path: string;
  s3_endpoint?: string;
  force_path_style?: boolean;
  /** Assumed on top of the access key below, or else of the connector's base credentials. */
  role_arn?: string;
  access_key_id?: string;
  secret_access_key?: string;
}

/** Which outcomes go to object_storage_config: rejected rows only, or every row's. */
export type SyncResultsSetting = "rejected" | "all";

export interface Alerts {
  slack_webhook_url?: string;
  pagerduty_routing_key?: string;
  webhook_url?: string;
  on_failure?: boolean;
  rejected_rows_threshold?: number;
  /** An SNS topic; its region is read from the ARN. */
  sns_topic_arn?: string;
  /** For SNS-compatible endpoints (LocalStack, the test emulators, a VPC endpoint). */
  sns_endpoint?: string;
}

/** The settings only one queue type takes, as the loader's cross-field rules (queue-type.ts) allow them. */
type QueueTypeSettings =
  | {
      queue_type: "standard";
      /** Standard queues take a group id too (fair queues), but no deduplication id. */
      message_group_id?: ValueSource;
      message_deduplication_id?: never;
      delay_seconds?: ValueSource;
    }
  | {
      queue_type: "fifo";
      message_group_id: ValueSource;
      message_deduplication_id?: ValueSource;
      /** FIFO queues take a delay per queue, not per message. */
      delay_seconds?: never;
    };

export type Config = QueueTypeSettings & CommonSettings;

/** The settings every queue type takes. */
export interface CommonSettings {
  region: string;
  endpoint?: string;
  credentials: Credentials;
  role_arn?: string;
  external_id?: string;
  role_session_name: string;
  queue: ValueSource;
  message_body: MessageBody;
  message_id?: ValueSource;
  message_attributes: MessageAttributeSetting[];
  events: ChangeType[];
  change_detection: ChangeDetection;
  rejected_rows: RejectedRows;
  /** The ceiling of requests in flight (adaptive), or the number in flight (fixed). */
  max_in_flight: number;
  concurrency: "adaptive" | "fixed";
  max_message_bytes: number;
  large_messages: LargeMessages;
  /** How long one message may keep failing with retriable errors before the sync fails. */
  retry_max_seconds: number;
  /** How long one SQS request may take before it is abandoned and retried. */
  request_timeout_seconds: number;
  log_api_calls: boolean;
  log_message_bodies: boolean;
  alerts?: Alerts;
  object_storage_config: ObjectStorageConfig;
  sync_results: SyncResultsSetting;
}
