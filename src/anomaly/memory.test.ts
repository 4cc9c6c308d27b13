import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collector, generateLoad, loadGeo, usedBytes } from '../../bench/anomaly-load.js';
import { defaultDetectionConfig } from './config.js';
import { DetectionEngine } from './engine.js';

const SCALE = 10;
const SESSIONS = 1_000_000 / SCALE;
const BUDGET_MB = 256;

describe('detection engine memory', () => {
  it('a tenth-scale model (100,000 sessions, every per-session cap divided by ten) stays under a tenth of 256 MB, and says so', async () => {
    // At a million sessions the session, user, refresh and ingestion tables run at their caps;
    // dividing the caps by ten makes 100,000 sessions fill them the same way, so ten times
    // this run's memory is the million-session figure (bench/anomaly.ts measures it directly).
    const d = defaultDetectionConfig.detectors;
    const scaled = (n: number) => Math.ceil(n / SCALE);
    // Every table that fills with traffic is scaled, the engine's dedupe and allow-list and the
    // revocation-chain tables too: one full at both sizes would count ten times in the
    // projection. bench/anomaly.ts gives the million-session figure itself (136 MB).
    const e = defaultDetectionConfig.engine;
    const config = {
      engine: { dedup_entries: scaled(e.dedup_entries), allow_list_entries: scaled(e.allow_list_entries) },
      detectors: {
        impossible_travel: { max_sessions: scaled(d.impossible_travel.max_sessions), max_users: scaled(d.impossible_travel.max_users) },
        refresh_storm: { max_sessions: scaled(d.refresh_storm.max_sessions) },
        ingestion_spike: { max_sessions: scaled(d.ingestion_spike.max_sessions) },
        revocation_chain: { max_sessions: scaled(d.revocation_chain.max_sessions), max_prefixes: scaled(d.revocation_chain.max_prefixes) },
        account_new_network: { max_users: scaled(d.account_new_network.max_users) },
      },
    };
    const gc = await collector();
    const geo = loadGeo();
    gc();
    const before = usedBytes();
    const engine = new DetectionEngine({ geo, config });
    generateLoad(SESSIONS, (event) => engine.process(event));
    gc();
    const measured = usedBytes() - before;
    const { approxBytes, events } = engine.stats();
    const millionMb = (measured * SCALE) / 2 ** 20;
    console.log(
      `anomaly engine memory: ${SESSIONS} sessions (${events} events, caps ÷${SCALE}) → ${(measured / 2 ** 20).toFixed(1)} MB measured ` +
        `(approxBytes ${(approxBytes / 2 ** 20).toFixed(1)} MB); × ${SCALE} → ${millionMb.toFixed(0)} MB for 1,000,000 sessions (budget ${BUDGET_MB} MB)`,
    );
    assert.ok(millionMb < BUDGET_MB, `${millionMb.toFixed(0)} MB for a million sessions`);
    // The engine's own accounting agrees with the heap within a factor of two.
    assert.ok(approxBytes > measured / 2 && approxBytes < measured * 2, `approxBytes ${approxBytes} vs measured ${measured}`);
  });
});
