// Delivery of test/delivery.test.ts at volume: 5,000 messages through the SDK sender to fauxqs.
import { after, before, it } from "node:test";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { assertLandsExactlyOnce, fauxqsSqsClient } from "../helpers/delivery-volume.js";

let server: FauxqsServer;
let client: SQSClient;

before(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  client = fauxqsSqsClient(server);
});

after(async () => {
  client.destroy();
  await server.stop();
});

it("lands 5,000 messages on a standard queue exactly once", async () => {
  await assertLandsExactlyOnce(server, client, 5000);
});
