// Loaded with --import into every test file's process and every process a test spawns from the
// compiled copy (scripts/test.mjs, test/helpers/paths.ts), in place of --enable-source-maps: stack
// traces still name the .ts line, but a source map is read only when a stack through its file is
// printed. Node 20's --enable-source-maps reads and parses the map of every module as it loads,
// and scans the module's whole text twice: 0.25 s of CPU in each `guestpass` the suite spawns
// (1.07 s against 1.34 s a `clients list`, six runs each), and as much in each test file, whose
// bundles have megabytes of maps. Most processes never print a stack.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A map per generated file, or null when it has none: each is read once, on first use. */
const maps = new Map();

function mapOf(url) {
  if (maps.has(url)) return maps.get(url);
  let found = null;
  try {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    if (path.endsWith('.js') && existsSync(`${path}.map`)) {
      const payload = JSON.parse(readFileSync(`${path}.map`, 'utf8'));
      // Sources are relative to the map; printed as paths, like the files Node names.
      const base = pathToFileURL(`${path}.map`);
      payload.sources = payload.sources.map((source) => fileURLToPath(new URL(source, base)));
      found = new SourceMap(payload);
    }
  } catch {
    found = null;
  }
  maps.set(url, found);
  return found;
}

/** One frame as V8 prints it, its generated place replaced by the original one when a map knows it. */
function frameText(frame) {
  const text = String(frame);
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (!file || !line || !column) return text;
  const map = mapOf(file);
  if (!map) return text;
  const entry = map.findEntry(line - 1, column - 1);
  if (!entry?.originalSource) return text;
  const generated = `${file}:${line}:${column}`;
  const original = `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return text.includes(generated) ? text.replace(generated, original) : text;
}

/** As Node formats a stack (lib/internal/errors.js), frame by frame through frameText. */
Error.prepareStackTrace = (error, frames) => {
  let header;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = '<error>';
  }
  if (frames.length === 0) return header;
  const lines = frames.map((frame) => {
    try {
      return frameText(frame);
    } catch {
      return String(frame);
    }
  });
  return `${header}\n    at ${lines.join('\n    at ')}`;
};
