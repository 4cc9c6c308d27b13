// Loaded into every test file's process when GUESTPASS_TEST_RECORD_DURATIONS=1 (scripts/test.mjs
// passes it with --import): at exit, a file's process appends its own lifetime, start-up
// included, to the list scripts/test.mjs merges into scripts/test-durations.json. The runner's
// events cannot tell: a suite declared through a helper (describeEachDatabase) reports the
// helper's file as its own.
// It also logs the CPU the file used, its own and that of the processes it spawned and waited
// for (a `guestpass` CLI, a server process, Chromium): on a shared machine the lifetime says
// more about the neighbours than about the file, the CPU time much less (PostgreSQL's own work
// is not in it). scripts/test.mjs prints the files that used the most.
import { appendFileSync, readFileSync } from 'node:fs';

const log = process.env.GUESTPASS_TEST_DURATIONS_LOG;
// Every folder scripts/test.mjs searches for *.test.ts files.
const file = /\/((?:src|test|tools|packages|examples|console)\/.*\.test)\.(?:js|ts)$/.exec(process.argv[1] ?? '')?.[1];

/** CPU seconds of this process and of the children it waited for (Linux: /proc/self/stat, in clock ticks of 1/100 s). */
function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  let children = 0;
  try {
    // Fields after the command name, which sits in parentheses and may hold spaces: cutime and cstime are the 14th and 15th.
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {}
  return (user + system) / 1e6 + children;
}

if (log && file)
  process.on('exit', () => {
    const seconds = Math.round(performance.now() / 100) / 10;
    appendFileSync(log, `${JSON.stringify({ file: `${file}.ts`, seconds, cpu: Math.round(cpuSeconds() * 10) / 10 })}\n`);
  });
