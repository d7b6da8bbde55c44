import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import type { Config, ObjectStorageS3, S3Settings } from "../config/types.js";
import { observeApiCalls, type ApiCallObserver } from "./api-calls.js";
import { keepErrorBodies } from "./error-code.js";
import { assumeRoleCredentials, baseCredentials, type CredentialSource } from "./credentials.js";
import { DeadlineHttpHandler, retryWithinBudget, type RetryBudget } from "./deadline.js";

export interface AwsClients {
  sqs: SQSClient;
  /**
   * An S3 client for a bucket's settings (snapshot store, large messages). `retriedByCaller`: the
   * caller retries failed calls under its own budget (delivery, for large-message uploads), so the
   * client tries each call once instead of retrying it within retry_max_seconds first.
   */
  s3(settings: S3Settings, options?: { retriedByCaller?: boolean }): S3Client;
  /**
   * The S3 client of the sync results bucket (object_storage_config): its region, endpoint and path
   * style, and its own credentials when the block gives a role or an access key, else the connector's.
   */
  resultsS3(storage: ObjectStorageS3): S3Client;
  /** An SNS client for a topic's region (alerts); `endpoint` for SNS-compatible services. */
  sns(region: string, endpoint?: string): SNSClient;
}

interface AwsClientOptions {
  /** Overrides `request_timeout_seconds`, for short calls such as `check`'s. */
  requestTimeoutMs?: number;
  /** Overrides `retry_max_seconds`; 0 tries each call once. */
  retryMaxMs?: number;
  /** Sees every SQS, STS, S3 and SNS request (the API call log). */
  onCall?: ApiCallObserver | undefined;
}

/** How every client makes and retries its calls. */
interface CallPolicy {
  timeoutMs: number;
  budget: RetryBudget;
}

/**
 * The one place AWS clients are made: region, endpoint, credentials (and assumed role), HTTP
 * settings. Every client shares one credential source, so a role is assumed once per sync.
 * Every attempt of every call ends within the request timeout, and a failing call is retried
 * within `retry_max_seconds` (by `retryWithinBudget`, the clients' only retry).
 */
export function createAwsClients(config: Config, options: AwsClientOptions = {}): AwsClients {
  const policy: CallPolicy = {
    timeoutMs: options.requestTimeoutMs ?? config.request_timeout_seconds * 1000,
    budget: { retryMaxMs: options.retryMaxMs ?? config.retry_max_seconds * 1000 },
  };
  const agentOptions = { keepAlive: true, maxSockets: Math.max(50, config.max_in_flight) };
  const credentials = connectorCredentials(config, policy, options);
  const sqs = new SQSClient({
    ...awsTarget(config),
    credentials,
    // Delivery owns SendMessageBatch retries and checks the MD5 of every accepted entry itself: the
    // SDK would resend a whole batch after a partial success, and its MD5 check throws after SQS stored it.
    md5: false,
    maxAttempts: 1,
    // Requests go to the configured (or regional) endpoint only, never to a queue URL's host:
    // queue URLs can come from row data.
    useQueueUrlAsEndpoint: false,
    requestHandler: new DeadlineHttpHandler(policy.timeoutMs, {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  });
  sqs.middlewareStack.use(retryWithinBudget({ ...policy.budget, exceptCommands: ["SendMessageBatchCommand"] }));
  sqs.middlewareStack.use(keepErrorBodies());
  if (options.onCall) sqs.middlewareStack.use(observeApiCalls("SQS", options.onCall));
  return {
    sqs,
    s3: (settings, { retriedByCaller = false } = {}) => {
      const client = new S3Client({
        region: settings.region ?? config.region,
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        forcePathStyle: settings.force_path_style ?? false,
        credentials,
        ...callSettings(policy),
      });
      const s3 = retriedByCaller ? client : withRetries(client, policy);
      if (options.onCall) s3.middlewareStack.use(observeApiCalls("S3", options.onCall));
      return s3;
    },
    resultsS3: (storage) => {
      const s3 = withRetries(
        new S3Client({
          region: storage.s3_bucket_region,
          ...(storage.s3_endpoint ? { endpoint: storage.s3_endpoint } : {}),
          forcePathStyle: storage.force_path_style ?? false,
          credentials: resultsCredentials(config, storage, policy, options) ?? credentials,
          ...callSettings(policy),
        }),
        policy,
      );
      if (options.onCall) s3.middlewareStack.use(observeApiCalls("S3", options.onCall));
      return s3;
    },
    sns: (region, endpoint) => {
      const sns = withRetries(new SNSClient({ region, ...(endpoint ? { endpoint } : {}), credentials, ...callSettings(policy) }), policy);
      if (options.onCall) sns.middlewareStack.use(observeApiCalls("SNS", options.onCall));
      return sns;
    },
  };
}

function callSettings(policy: CallPolicy): { maxAttempts: 1; requestHandler: DeadlineHttpHandler } {
  return { maxAttempts: 1, requestHandler: new DeadlineHttpHandler(policy.timeoutMs, {}) };
}

function withRetries<Client extends S3Client | SNSClient | STSClient>(client: Client, policy: CallPolicy): Client {
  client.middlewareStack.use(retryWithinBudget(policy.budget));
  return client;
}

function awsTarget(config: Config): { region: string; endpoint?: string } {
  return { region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}) };
}

function connectorCredentials(config: Config, policy: CallPolicy, options: AwsClientOptions): CredentialSource {
  const base = baseCredentials(config.credentials);
  if (!config.role_arn) return base;
  return assumedRole(config, base, { roleArn: config.role_arn, externalId: config.external_id }, policy, options);
}

/**
 * The results bucket's own credentials: its access key, with its role assumed on top when it
 * names one (on top of the connector's base credentials without a key); undefined when it gives neither.
 */
function resultsCredentials(
  config: Config,
  storage: ObjectStorageS3,
  policy: CallPolicy,
  options: AwsClientOptions,
): CredentialSource | undefined {
  const key =
    storage.access_key_id !== undefined && storage.secret_access_key !== undefined
      ? { accessKeyId: storage.access_key_id, secretAccessKey: storage.secret_access_key }
      : undefined;
  if (!storage.role_arn) return key;
  return assumedRole(config, key ?? baseCredentials(config.credentials), { roleArn: storage.role_arn }, policy, options);
}

function assumedRole(
  config: Config,
  base: CredentialSource,
  role: { roleArn: string; externalId?: string | undefined },
  policy: CallPolicy,
  options: AwsClientOptions,
): CredentialSource {
  const sts = withRetries(new STSClient({ ...awsTarget(config), credentials: base, ...callSettings(policy) }), policy);
  if (options.onCall) sts.middlewareStack.use(observeApiCalls("STS", options.onCall));
  return assumeRoleCredentials(sts, {
    roleArn: role.roleArn,
    sessionName: config.role_session_name,
    ...(role.externalId ? { externalId: role.externalId } : {}),
  });
}
