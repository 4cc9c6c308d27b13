import type { PrivacyStep } from '../types.js';
import { filterRecord, isAllowed } from './allow-list.js';

/** Removes every prop whose key the client did not allow (when it set a list); one redaction each. */
export const propAllowList: PrivacyStep = {
  name: 'prop_allow_list',
  reasons: ['prop_not_allowed'],
  run(draft, { policy, redact }) {
    const allowed = policy.allowedProps;
    if (allowed === undefined) return undefined;
    draft.props = filterRecord(
      draft.props,
      (key) => isAllowed(allowed, key),
      () => redact('prop_not_allowed'),
    );
    return undefined;
  },
};
