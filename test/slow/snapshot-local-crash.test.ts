// The snapshot store on disk across a crash: a sync killed with SIGKILL loses nothing.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { recordLine } from "../helpers/airbyte.js";
import { withFauxqs } from "../helpers/emulators.js";
import { exitCodeOf, startWrite } from "../helpers/live-connector.js";
import { customer, fullRefresh, inputOf, type Published, snapshotConnection, STREAM } from "../helpers/snapshot-local.js";

withFauxqs("snapshot change detection across a crash", (context) => {
  test("a sync killed with SIGKILL loses nothing: the rerun publishes every row not yet recorded, then the store is settled", async () => {
    const store = await snapshotConnection(context.emulator);
    const count = 300;
    const ids = Array.from({ length: count }, (_, id) => id);
    await store.sync(inputOf(ids.map((id) => customer(id, `v1-${id}`))));
    assert.equal((await store.published(count)).length, count);

    const v2 = ids.map((id) => customer(id, `v2-${id}`));
    const seenV2 = new Set<number>();
    const collect = async (): Promise<Published[]> => {
      const published = await store.published();
      for (const message of published) if (message.row.name === `v2-${message.row.id}`) seenV2.add(message.row.id);
      return published;
    };

    // Half the rows, input held open, then kill -9 once some have reached the queue.
    const child = startWrite(store.configFile(), fullRefresh);
    child.stdin.write(
      v2
        .slice(0, count / 2)
        .map((row) => recordLine(STREAM, row))
        .join("\n") + "\n",
    );
    for (let poll = 0; poll < 200 && seenV2.size < 20; poll++) {
      await collect();
      await sleep(25);
    }
    assert.ok(seenV2.size >= 20, "the killed sync published part of its rows first");
    child.kill("SIGKILL");
    await exitCodeOf(child);
    await collect();

    const rerun = await store.syncCli(inputOf(v2));
    assert.deepEqual(rerun.stderr, "");
    const rerunPublished = await collect();
    assert.ok(
      rerunPublished.every((message) => message.change === "changed"),
      "the rerun neither re-adds nor removes rows",
    );
    assert.equal(seenV2.size, count, "every changed row was published by one of the two runs");

    await store.sync(inputOf(v2));
    assert.deepEqual(await store.published(), [], "after the rerun every row is recorded as published");
  });
});
