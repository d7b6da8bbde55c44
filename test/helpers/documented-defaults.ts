// The top-level configuration defaults docs/configuration.md documents, in one place: spec.json must declare
// exactly these (spec-rules.test.ts) and the loader must apply them (config.test.ts).
export const DOCUMENTED_DEFAULTS = {
  role_session_name: "destination-sqs",
  queue_type: "standard",
  message_body: { format: "record" },
  message_attributes: [],
  events: ["added", "changed", "removed"],
  change_detection: { mode: "none" },
  rejected_rows: { policy: "fail" },
  max_in_flight: 512,
  concurrency: "adaptive",
  max_message_bytes: 1048576,
  large_messages: { policy: "reject" },
  retry_max_seconds: 300,
  request_timeout_seconds: 30,
  log_api_calls: false,
  log_message_bodies: false,
  object_storage_config: { storage_type: "None" },
  sync_results: "rejected",
};
