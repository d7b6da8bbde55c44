// Delivery of test/delivery.test.ts at volume through the SDK sender to fauxqs: 5,000 messages, and 200 FIFO groups.
import { it } from "node:test";
import { assertFifoOrderThroughFaults, assertLandsExactlyOnce, fauxqsForSuite } from "../helpers/delivery-volume.js";

const fauxqs = fauxqsForSuite();

it("lands 5,000 messages on a standard queue exactly once", async () => {
  await assertLandsExactlyOnce(fauxqs.server, fauxqs.client, 5000);
});

it("keeps each FIFO group's order across 200 groups, through throttling and partial failures", async () => {
  await assertFifoOrderThroughFaults(fauxqs.server, fauxqs.client, 200);
});
