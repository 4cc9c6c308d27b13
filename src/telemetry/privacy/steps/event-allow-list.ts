import type { PrivacyStep } from '../types.js';
import { isAllowed } from './allow-list.js';

/** Drops an event whose name the client did not allow (when it set a list). */
export const eventAllowList: PrivacyStep = {
  name: 'event_allow_list',
  reasons: ['event_not_allowed'],
  run(draft, { policy }) {
    const allowed = policy.allowedEvents;
    if (allowed === undefined || isAllowed(allowed, draft.name)) return undefined;
    // The name is safe to echo: the schema limits it to ^[a-z][a-z0-9_.:-]{0,63}$.
    return { reason: 'event_not_allowed', description: `The event name "${draft.name}" is not in this client's allowed events.` };
  },
};
