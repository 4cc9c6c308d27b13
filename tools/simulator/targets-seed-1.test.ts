import { describe, it } from 'node:test';
import { assertTargets } from './targets.js';

describe('detection targets on the simulator, seed 1 (30 h; targets.ts says what is asserted)', () => {
  it('catches every hard invariant without a false positive and every other attack kind ≥ 90% within 60 s, all kinds at once', { timeout: 300_000 }, () =>
    assertTargets(1),
  );
});
