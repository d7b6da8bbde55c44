// The two-stream write of test/write.test.ts at volume: 5,000 records through the built CLI on fauxqs.
import { test } from "node:test";
import { withFauxqs } from "../helpers/emulators.js";
import { assertTwoStreamsLandOnce } from "../helpers/write-two-streams.js";

withFauxqs("write at volume", (context) => {
  test("5,000 records of two streams land exactly once and each STATE is echoed after its records, with counts", async () => {
    await assertTwoStreamsLandOnce(context.emulator, 2500);
  });
});
