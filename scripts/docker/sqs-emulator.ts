// Runs fauxqs on a free port until SIGTERM/SIGINT, for the container test.
// Usage: node --import tsx scripts/docker/sqs-emulator.ts QUEUE_NAME...
// Prints one JSON line when ready: {"endpoint":"http://localhost:PORT","queues":{"NAME":"URL"}}.
// The endpoint is named localhost because fauxqs names its queues http://sqs.<region>.localhost:PORT/…,
// and the connector accepts only queue URLs on the endpoint's host (or a name under it).
import { startFauxqs } from "fauxqs";

const server = await startFauxqs({ port: 0, logger: false });
const queues = Object.fromEntries(process.argv.slice(2).map((name) => [name, server.createQueue(name).queueUrl]));
process.stdout.write(JSON.stringify({ endpoint: `http://localhost:${server.port}`, queues }) + "\n");

const stop = (): void => {
  void server.stop().then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
