// Loaded into every test file's process when GUESTPASS_TEST_RECORD_DURATIONS=1 (scripts/test.mjs
// passes it with --import): at exit, a file's process appends its own lifetime, start-up
// included, to the list scripts/test.mjs merges into scripts/test-durations.json. The runner's
// events cannot tell: a suite declared through a helper (describeEachDatabase) reports the
// helper's file as its own.
import { appendFileSync } from 'node:fs';

const log = process.env.GUESTPASS_TEST_DURATIONS_LOG;
const file = /\/((?:src|test|tools)\/.*\.test)\.(?:js|ts)$/.exec(process.argv[1] ?? '')?.[1];
if (log && file)
  process.on('exit', () => {
    appendFileSync(log, `${JSON.stringify({ file: `${file}.ts`, seconds: Math.round(performance.now() / 100) / 10 })}\n`);
  });
