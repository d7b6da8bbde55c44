// What the routing tests through the CLI share: queues to route to, and catalogs naming them.
import { catalogOf } from "./airbyte.js";
import { writeTempJson } from "./cli.js";
import { uniqueQueueName, type Emulator } from "./emulators.js";

/** A catalog of `streams`, each with its destination_object_name when given (Airbyte data activation). */
export function activationCatalog(streams: { name: string; destination?: string }[]): string {
  const catalog = catalogOf(streams);
  catalog.streams.forEach((stream, index) => {
    const destination = streams[index]!.destination;
    if (destination !== undefined) stream.destination_object_name = destination;
  });
  return writeTempJson(catalog);
}

export async function threeQueues(emulator: Emulator, prefix: string): Promise<{ names: string[]; urls: string[] }> {
  const names = [uniqueQueueName(`${prefix}-a`), uniqueQueueName(`${prefix}-b`), uniqueQueueName(`${prefix}-c`)];
  const urls = await Promise.all(names.map((name) => emulator.createQueue(name)));
  return { names, urls };
}
