import { streamKey, type ConfiguredStream, type StateMessage } from "../protocol/messages.js";

/**
 * Recognises the Airbyte platform's Clear job ("Clear data"), which sends for each stream a
 * STREAM state whose stream_state is null and no record, in a catalog that makes the stream
 * full_refresh + overwrite with minimum_generation_id equal to generation_id. A refresh differs:
 * it sends records.
 */
export class ClearJobDetection {
  private readonly streamsWithRecords = new Set<ConfiguredStream>();
  private readonly nullStates = new Set<string>();

  recordReceived(stream: ConfiguredStream): void {
    this.streamsWithRecords.add(stream);
  }

  stateReceived(state: StateMessage): void {
    if (state.type !== "STREAM" || !state.stream) return;
    const { stream_descriptor: descriptor, stream_state: streamState } = state.stream;
    if (streamState === null || streamState === undefined) this.nullStates.add(streamKey(descriptor.name, descriptor.namespace));
  }

  isCleared(stream: ConfiguredStream): boolean {
    const generationsCleared = stream.generation_id === undefined || stream.minimum_generation_id === stream.generation_id;
    return (
      !this.streamsWithRecords.has(stream) &&
      this.nullStates.has(streamKey(stream.stream.name, stream.stream.namespace)) &&
      stream.sync_mode === "full_refresh" &&
      stream.destination_sync_mode === "overwrite" &&
      generationsCleared
    );
  }
}
