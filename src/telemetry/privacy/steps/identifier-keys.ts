import { keyInfo } from '../detect/key-names.js';
import type { PrivacyStep } from '../types.js';
import { filterRecord } from './allow-list.js';

const keep = (key: string): boolean => !keyInfo(key).identifier;

/**
 * Removes props whose key names an identifier or a secret (detect/key-names.ts has the rules),
 * whatever the value and even when the client allow-listed the key: an allow-list widens
 * nothing. Metric keys get the same rule, since a phone number fits in a number as well.
 * One `identifier_key` redaction per removed entry.
 */
export const identifierKeys: PrivacyStep = {
  name: 'identifier_keys',
  reasons: ['identifier_key'],
  run(draft, { redact }) {
    const removed = (): void => redact('identifier_key');
    draft.props = filterRecord(draft.props, keep, removed);
    draft.metrics = filterRecord(draft.metrics, keep, removed);
    return undefined;
  },
};
