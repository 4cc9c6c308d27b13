import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from './group-commit.js';

/** A commit that stays open until the test ends it. */
interface Open {
  items: number[];
  end(): void;
}

function recorder(concurrency?: number) {
  const open: Open[] = [];
  const group = new GroupCommit<number>({
    intervalMs: 0,
    maxGroupSize: 1000,
    ...(concurrency === undefined ? {} : { concurrency }),
    commit: (items) => new Promise<void>((resolve) => open.push({ items, end: resolve })),
  });
  return { group, open };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('should hold the next group until the running commit ends, by default', async () => {
    const { group, open } = recorder();
    group.add(1);
    await turn();
    group.add(2);
    group.add(3);
    await turn();
    assert.deepEqual(
      open.map(({ items }) => items),
      [[1]],
    );
    open[0]!.end();
    await turn();
    assert.deepEqual(
      open.map(({ items }) => items),
      [[1], [2, 3]],
    );
    open[1]!.end();
    await group.drain();
  });

  it('should start a second group while the first commits when concurrency allows two', async () => {
    const { group, open } = recorder(2);
    group.add(1);
    await turn();
    group.add(2);
    await turn();
    group.add(3);
    group.add(4);
    await turn();
    // Two commits under way; the third group waits for a slot.
    assert.deepEqual(
      open.map(({ items }) => items),
      [[1], [2]],
    );
    open[1]!.end();
    await turn();
    assert.deepEqual(
      open.map(({ items }) => items),
      [[1], [2], [3, 4]],
    );
    const drained = group.drain();
    open[0]!.end();
    open[2]!.end();
    await drained;
    assert.equal(group.queued, 0);
  });
});
