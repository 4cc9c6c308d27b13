import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createPrivateFolder, writeNewPrivateFile } from '../storage/private-files.js';

export interface MasterKey {
  key: Buffer;
  /** Where it came from, for the start-up log (never the key itself). */
  source: 'environment' | 'data-folder' | 'generated';
  /** Set when the key sits beside the data it protects. */
  warning?: string;
}

const WARNING =
  'The master key is stored in the data folder beside the keys it encrypts. That is fine for development; ' +
  'in production set GUESTPASS_MASTER_KEY from a secret store and remove the file.';

/**
 * The master key encrypts private signing keys and the sealing key at rest. In embedded mode
 * it is generated into the data folder on first start (folder 0700, file 0600 whatever the
 * umask) with a loud warning; in production it comes from the environment.
 */
export function loadMasterKey(configured: string | undefined, dataDir: string): MasterKey {
  if (configured !== undefined) return { key: Buffer.from(configured, 'base64url'), source: 'environment' };
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64url key.`);
    return { key, source: 'data-folder', warning: WARNING };
  }
  createPrivateFolder(dataDir);
  const key = randomBytes(32);
  writeNewPrivateFile(file, `${key.toString('base64url')}\n`);
  return { key, source: 'generated', warning: WARNING };
}
