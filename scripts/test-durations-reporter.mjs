// A node:test reporter that writes nothing to its stream: it adds up the time of each file's
// top-level tests and merges the totals into scripts/test-durations.json, which scripts/test.mjs
// reads to start the longest files first. Run with GUESTPASS_TEST_RECORD_DURATIONS=1.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LIST = join(import.meta.dirname, 'test-durations.json');

/**
 * The file as the list names it (`test/x.test.ts`), from the path a test event carries: the
 * compiled copy's (`…/guestpass-test/<run>/test/x.test.js`), or the source it maps back to.
 */
function sourcePath(file) {
  const match = /\/((?:src|test|tools)\/.*)\.(?:ts|js)$/.exec(file);
  return match ? `${match[1]}.ts` : file;
}

export default async function* durations(source) {
  const root = join(import.meta.dirname, '..');
  const seconds = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const file = sourcePath(event.data.file);
      seconds.set(file, (seconds.get(file) ?? 0) + event.data.details.duration_ms / 1000);
    }
  }
  let list = {};
  try {
    list = JSON.parse(readFileSync(LIST, 'utf8'));
  } catch {}
  for (const [file, value] of seconds) list[file] = Math.round(value * 10) / 10;
  // Files deleted or renamed since drop out.
  const kept = Object.entries(list).filter(([file]) => existsSync(join(root, file)));
  const sorted = Object.fromEntries(kept.sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
  writeFileSync(LIST, `${JSON.stringify(sorted, null, 2)}\n`);
}
