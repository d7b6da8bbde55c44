// The writes of test/write.test.ts at volume, through the built CLI on fauxqs: 5,000 records of two
// streams, and 60 FIFO message groups of 25 records.
import { test } from "node:test";
import { withFauxqs } from "../helpers/emulators.js";
import { assertFifoGroupsKeepOrder, assertTwoStreamsLandOnce } from "../helpers/write-two-streams.js";

withFauxqs("write at volume", (context) => {
  test("5,000 records of two streams land exactly once and each STATE is echoed after its records, with counts", async () => {
    await assertTwoStreamsLandOnce(context.emulator, 2500);
  });

  test("FIFO: order is kept within each of 60 message groups", async () => {
    await assertFifoGroupsKeepOrder(context.emulator, 60, 25);
  });
});
