/** How the Airbyte platform files a failure (a TRACE error's failure_type). */
export type FailureType = "config_error" | "system_error" | "transient_error";

/**
 * An error the user can act on. `message` is one plain sentence saying what was wrong, where,
 * and what to do; `detail` carries the technical cause for the TRACE's internal_message.
 */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly failureType: FailureType = "config_error",
    readonly detail?: string,
  ) {
    super(message);
    this.name = "UserFacingError";
  }
}

/** What a caught value says: an Error's message, or the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
