// Redaction: a leaf that every layer may use, so it knows nothing of the messages it is applied to.

/** What a redacted value is replaced by, everywhere the connector redacts. */
export const REDACTED = "**********";

// Exported only for test/observe.test.ts.
/**
 * Secret values shorter than this are not searched for in free text: a value of a few characters
 * ("test", "e", "2024") cannot be told apart from ordinary words, so replacing it wherever it
 * appears would rewrite unrelated text while hiding nothing an observer could not guess.
 */
export const MIN_SEARCHED_SECRET_CHARS = 8;

/**
 * AWS credential shapes, redacted even when the config does not hold them (credentials from the
 * default chain or an assumed role). Where a pattern has a group, the group is the label kept.
 */
const CREDENTIAL_SHAPES: readonly RegExp[] = [
  // Access key ids: long-term (AKIA), temporary (ASIA) and the other IAM unique-id prefixes.
  /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}\b/g,
  // A secret access key: 40 base64 characters after a word containing "secret" (JSON, XML, key=value).
  /(secret[\w-]*["']?\s*[:=>]?\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/gi,
  // A session token on its own: STS tokens start with these base64 prefixes. (Before the next
  // pattern, which would otherwise cut a token that happens to contain the word "token".)
  /\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=]{16,}/g,
  // A session token after its name.
  /((?:session|security)[_-]?token["']?\s*[:=>]?\s*["']?)[A-Za-z0-9/+=%]{16,}/gi,
];

/** Replaces everything shaped like an AWS credential in `text`. */
export function redactCredentialShapes(text: string): string {
  let redacted = text;
  for (const shape of CREDENTIAL_SHAPES) {
    redacted = redacted.replace(shape, (_match, label: unknown) => (typeof label === "string" ? label : "") + REDACTED);
  }
  return redacted;
}

/**
 * The one redaction rule: text the connector writes (LOG and TRACE messages, alert payloads, API
 * call logs) loses the config's `airbyte_secret` values of at least MIN_SEARCHED_SECRET_CHARS
 * characters, as they are, JSON-escaped and URL-encoded, and anything shaped like an AWS
 * credential. Only string values change: keys, numbers and the payloads the connector echoes or
 * declares (STATE, CONNECTION_STATUS, SPEC, RECORD) never do.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(secretValues: readonly string[]) {
    const forms = secretValues
      .filter((value) => value.length >= MIN_SEARCHED_SECRET_CHARS)
      .flatMap((value) => [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
    // Longest first, so a secret that contains another is removed whole.
    this.secrets = [...new Set(forms)].sort((a, b) => b.length - a.length);
  }

  text(text: string): string {
    let redacted = text;
    for (const secret of this.secrets) redacted = redacted.replaceAll(secret, REDACTED);
    return redactCredentialShapes(redacted);
  }

  /** A copy of a JSON-like value with every string value redacted; keys and other values are kept. */
  value<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.walk(item)]));
    }
    return value;
  }
}

/** Redacts nothing but credential shapes: for output written before the config is read. */
export const NO_CONFIG_SECRETS = new Redactor([]);
