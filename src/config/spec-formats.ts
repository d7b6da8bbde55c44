/** The JSON Schema formats spec.json uses, as the config validator checks them. */
export const specFormats = {
  uri: isHttpUrl,
};

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
