// The validated configuration: the shape of spec.json after ajv has applied its defaults.
// Key names are the public contract (see README "Configuration").

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
      state_directory?: string;
      primary_key?: string[][];
      compare_columns?: string[];
      initial_sync?: "backfill" | "changes_only";
      /** Empty the snapshot before this sync, which then counts as the first. */
      reset?: boolean;
    };

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

export type RejectedRows =
  | { policy: "fail" }
  | { policy: "skip"; max_rejected_rows?: number }
  | { policy: "dead_letter"; queue_url: string };

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

export interface Config {
  region: string;
  endpoint?: string;
  credentials: Credentials;
  role_arn?: string;
  external_id?: string;
  role_session_name: string;
  queue_type: QueueType;
  queue: ValueSource;
  message_body: MessageBody;
  message_id?: ValueSource;
  message_group_id?: ValueSource;
  message_deduplication_id?: ValueSource;
  delay_seconds?: ValueSource;
  message_attributes: MessageAttributeSetting[];
  events: ChangeType[];
  change_detection: ChangeDetection;
  rejected_rows: RejectedRows;
  max_in_flight: number;
  max_message_bytes: number;
  /** How long one message may keep failing with retriable errors before the sync fails. */
  retry_max_seconds: number;
  /** How long one SQS request may take before it is abandoned and retried. */
  request_timeout_seconds: number;
  log_api_calls: boolean;
  log_message_bodies: boolean;
  alerts?: Alerts;
}
