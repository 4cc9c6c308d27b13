import { trimUrls } from '../detect/urls.js';
import type { PrivacyStep } from '../types.js';

/**
 * URLs in prop values and in error.message keep scheme, host, port and path; the query keeps
 * only utm_* parameters; fragment and userinfo go (detect/urls.ts says why). One redaction per
 * part dropped from one URL: `url_query`, `url_fragment`, `url_userinfo`.
 */
export const urlValues: PrivacyStep = {
  name: 'url_values',
  reasons: ['url_query', 'url_fragment', 'url_userinfo'],
  run(draft, { redact }) {
    const props = draft.props;
    for (const key of Object.keys(props)) {
      const value = props[key];
      if (typeof value === 'string') {
        const trimmed = trimUrls(value, redact);
        if (trimmed !== value) props[key] = trimmed;
      }
    }
    const message = draft.error?.message;
    if (draft.error !== undefined && message !== undefined) {
      const trimmed = trimUrls(message, redact);
      if (trimmed !== message) draft.error.message = trimmed;
    }
    return undefined;
  },
};
