// IAM fixtures on moto: users and roles with given permissions, and their keys as connector settings.
import { TEST_REGION } from "./config.js";

export interface IamAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface IamUser extends IamAccessKey {
  arn: string;
}

/** Who may assume a role: moto checks the caller and the ExternalId against the trust policy. */
export interface RoleTrust {
  userArn: string;
  externalId?: string;
}

/** The connector's `credentials` setting that signs with `key`. */
export function accessKeyCredentials(key: IamAccessKey): Record<string, unknown> {
  return { auth_type: "access_key", access_key_id: key.accessKeyId, secret_access_key: key.secretAccessKey };
}

export interface MotoIam {
  /** Creates an IAM user allowed `actions` (none when empty) and returns its ARN and access key. */
  createUser(name: string, actions: string[]): Promise<IamUser>;
  /** Creates a role allowed `actions` that `trust` may assume; returns its ARN. */
  createRole(name: string, actions: string[], trust: RoleTrust): Promise<string>;
}

/** Creates IAM users and roles on the moto_server at `endpoint` (before it enforces auth). */
export function motoIam(endpoint: string): MotoIam {
  const iam = (action: string, params: Record<string, string>) => motoIamCall(endpoint, action, params);
  const allow = (actions: string[]) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] });
  return {
    async createUser(userName, actions) {
      const user = await iam("CreateUser", { UserName: userName });
      if (actions.length > 0) {
        await iam("PutUserPolicy", { UserName: userName, PolicyName: "allowed", PolicyDocument: allow(actions) });
      }
      const created = await iam("CreateAccessKey", { UserName: userName });
      return {
        arn: xmlValue(user, "Arn"),
        accessKeyId: xmlValue(created, "AccessKeyId"),
        secretAccessKey: xmlValue(created, "SecretAccessKey"),
      };
    },
    async createRole(roleName, actions, trust) {
      const trustPolicy = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: trust.userArn },
            Action: "sts:AssumeRole",
            ...(trust.externalId ? { Condition: { StringEquals: { "sts:ExternalId": trust.externalId } } } : {}),
          },
        ],
      };
      const created = await iam("CreateRole", {
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(trustPolicy),
      });
      await iam("PutRolePolicy", { RoleName: roleName, PolicyName: "allowed", PolicyDocument: allow(actions) });
      return xmlValue(created, "Arn");
    },
  };
}

/**
 * Calls moto's IAM query API. Only used before enforceAuth, so the request need not be signed:
 * moto routes it to IAM by the credential scope in the Authorization header.
 */
async function motoIamCall(endpoint: string, action: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `AWS4-HMAC-SHA256 Credential=test/20240101/${TEST_REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: "2010-05-08", ...params }).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto IAM ${action} failed with ${response.status}: ${text}`);
  return text;
}

function xmlValue(xml: string, element: string): string {
  const value = new RegExp(`<${element}>([^<]*)</${element}>`).exec(xml)?.[1];
  if (value === undefined) throw new Error(`no <${element}> in moto's answer: ${xml}`);
  return value;
}
