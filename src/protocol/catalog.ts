import { readFileSync } from "node:fs";
import { UserFacingError } from "../errors.js";
import { streamKey, type ConfiguredCatalog, type ConfiguredStream } from "./messages.js";

/** Reads a ConfiguredAirbyteCatalog and indexes its streams by namespace and name. */
export function loadCatalog(path: string): Map<string, ConfiguredStream> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UserFacingError(
      `The catalog file ${path} could not be read as JSON: ${(error as Error).message}. Pass a ConfiguredAirbyteCatalog with --catalog.`,
    );
  }
  const streams = (raw as Partial<ConfiguredCatalog> | null)?.streams;
  if (!Array.isArray(streams)) {
    throw new UserFacingError(`The catalog file ${path} has no "streams" array; it must be a ConfiguredAirbyteCatalog.`);
  }
  const byKey = new Map<string, ConfiguredStream>();
  streams.forEach((configured: ConfiguredStream, index) => {
    const name = configured?.stream?.name;
    if (typeof name !== "string" || name === "") {
      throw new UserFacingError(`The catalog file ${path} has no "stream.name" in streams[${index}].`);
    }
    const destination = configured.destination_object_name;
    if (destination !== undefined && typeof destination !== "string") {
      throw new UserFacingError(
        `The catalog file ${path} has a streams[${index}].destination_object_name that is not a string: it must name the stream's queue (a queue name or URL).`,
      );
    }
    byKey.set(streamKey(name, configured.stream.namespace), configured);
  });
  return byKey;
}
