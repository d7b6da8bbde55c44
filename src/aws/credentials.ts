import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { Config } from "../config/types.js";

/** STS refused to hand out the role's credentials (or could not be reached). */
export class AssumeRoleError extends Error {
  constructor(
    readonly roleArn: string,
    readonly withExternalId: boolean,
    override readonly cause: unknown,
  ) {
    super(`Could not assume role ${roleArn}`);
    this.name = "AssumeRoleError";
  }
}

export type CredentialSource = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** The credentials `config.credentials` names, before any role is assumed. */
export function baseCredentials(credentials: Config["credentials"]): CredentialSource {
  if (credentials.auth_type === "default_chain") return fromNodeProviderChain();
  return {
    accessKeyId: credentials.access_key_id,
    secretAccessKey: credentials.secret_access_key,
    ...(credentials.session_token ? { sessionToken: credentials.session_token } : {}),
  };
}

/**
 * Credentials of the role `roleArn`, obtained with STS AssumeRole on top of the STS client's
 * credentials. The SDK client that uses this provider caches what it returns and calls it again
 * shortly before `expiration`, so a long sync keeps valid credentials.
 */
export function assumeRoleCredentials(
  sts: STSClient,
  role: { roleArn: string; externalId?: string; sessionName: string },
): AwsCredentialIdentityProvider {
  return async () => {
    let response: AssumeRoleCommandOutput;
    try {
      response = await sts.send(
        new AssumeRoleCommand({
          RoleArn: role.roleArn,
          RoleSessionName: role.sessionName,
          ...(role.externalId ? { ExternalId: role.externalId } : {}),
        }),
      );
    } catch (error) {
      throw new AssumeRoleError(role.roleArn, Boolean(role.externalId), error);
    }
    const issued = response.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey) {
      throw new AssumeRoleError(role.roleArn, Boolean(role.externalId), new Error("STS returned no credentials"));
    }
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      ...(issued.SessionToken ? { sessionToken: issued.SessionToken } : {}),
      ...(issued.Expiration ? { expiration: issued.Expiration } : {}),
    };
  };
}
