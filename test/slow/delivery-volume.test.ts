// Delivery of test/delivery.test.ts at volume: 5,000 messages through the SDK sender to fauxqs.
import { it } from "node:test";
import { assertLandsExactlyOnce, fauxqsForSuite } from "../helpers/delivery-volume.js";

const fauxqs = fauxqsForSuite();

it("lands 5,000 messages on a standard queue exactly once", async () => {
  await assertLandsExactlyOnce(fauxqs.server, fauxqs.client, 5000);
});
