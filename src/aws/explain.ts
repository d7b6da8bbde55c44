import type { Config } from "../config/types.js";
import { type FailureType, UserFacingError, errorMessage } from "../errors.js";
import { AssumeRoleError } from "./credentials.js";
import { awsErrorCode } from "./error-code.js";
import { awsErrorMeaning, isCredentialsAwsError, isRetriableAwsError } from "./error-codes.js";

/** What a failed call was for, so its explanation can name the permission and the place. */
interface FailedCallContext {
  /** The IAM permission the call needs, e.g. "sqs:ListQueues". */
  permission: string;
  config: Pick<Config, "region" | "endpoint" | "credentials">;
  /** The service called, default SQS; `config` holds its region and endpoint. */
  service?: "sqs" | "sns";
}

/**
 * A plain message saying why an SQS, SNS or STS call failed and what to do about it. It names
 * codes, permissions, endpoints and role ARNs, never a credential.
 */
export function explainAwsError(error: unknown, context: FailedCallContext): string {
  if (error instanceof AssumeRoleError) {
    const code = awsErrorCode(error.cause);
    if (awsErrorMeaning(code) === "access_denied") {
      const externalId = error.withExternalId ? "the configured external_id" : "no external_id";
      return (
        `Could not assume role ${error.roleArn} (${code}): the role's trust policy must allow these credentials ` +
        `with ${externalId} (matching its sts:ExternalId condition), and the credentials need sts:AssumeRole ` +
        `on the role. Check role_arn and external_id.`
      );
    }
    return `Could not assume role ${error.roleArn}: ${describe(error.cause, "sts", { ...context, permission: "sts:AssumeRole" })}.`;
  }
  return capitalize(describeAwsError(error, context)) + ".";
}

/** explainAwsError as a phrase for the middle of a sentence (a role that cannot be assumed keeps its sentences). */
export function describeAwsError(error: unknown, context: FailedCallContext): string {
  if (error instanceof AssumeRoleError) return explainAwsError(error, context).replace(/\.$/, "");
  return describe(error, context.service ?? "sqs", context);
}

/**
 * A failed SQS or STS call as the error that stops a sync: explained as above, with the failure
 * type Airbyte should report (config_error for what the user must fix, transient_error for what
 * a later sync may not meet). An error that is already user-facing is returned as it is.
 */
export function awsCallFailure(error: unknown, context: FailedCallContext): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const cause = error instanceof AssumeRoleError ? error.cause : error;
  const code = awsErrorCode(cause);
  const failureType: FailureType = isCredentialsAwsError(code)
    ? "config_error"
    : isRetriableAwsError(code)
      ? "transient_error"
      : "system_error";
  const message = errorMessage(cause);
  return new UserFacingError(explainAwsError(error, context), failureType, `${code}: ${message}`);
}

/** The AWS code of a failure made by awsCallFailure or s3Failure, whose detail reads `CODE: message`. */
export function failureCode(error: UserFacingError): string | undefined {
  return /^([\w.]+):/.exec(error.detail ?? "")?.[1];
}

function describe(error: unknown, service: "sqs" | "sns" | "sts", context: FailedCallContext): string {
  const code = awsErrorCode(error);
  const meaning = awsErrorMeaning(code);
  const message = errorMessage(error);
  if (meaning === "credentials_rejected" || /security token included in the request is invalid/i.test(message)) {
    return `AWS rejected the credentials (${code}): ${credentialsHint(context)}`;
  }
  if (meaning === "credentials_expired") {
    return `the credentials have expired (${code}): ${credentialsHint(context)}`;
  }
  if (meaning === "access_denied") {
    return `the credentials are valid but not allowed to call ${context.permission} (${code}): grant ${context.permission} to them in IAM`;
  }
  if (meaning === "no_credentials") {
    return (
      "the default credential chain found no AWS credentials (environment variables, shared config files, " +
      'container or instance role, web identity): provide them there, or set credentials.auth_type to "access_key"'
    );
  }
  if (meaning === "unreachable") {
    return (
      `could not reach ${endpointOf(service, context.config)} (${code}): check the region and the endpoint, ` +
      `and that this host can reach it`
    );
  }
  return `${service.toUpperCase()} answered ${code}: ${message}`;
}

function credentialsHint(context: FailedCallContext): string {
  return context.config.credentials.auth_type === "access_key"
    ? "check credentials.access_key_id, credentials.secret_access_key and credentials.session_token"
    : "check the credentials the default chain found (environment variables, shared config files, container or instance role)";
}

function endpointOf(service: "sqs" | "sns" | "sts", config: FailedCallContext["config"]): string {
  return config.endpoint ?? `https://${service}.${config.region}.amazonaws.com`;
}

function capitalize(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}
