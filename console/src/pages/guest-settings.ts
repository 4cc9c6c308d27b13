/**
 * Checks a guest-settings document in the browser before it is sent, so that a typo is named
 * beside the editor; the server validates again and is the judge (its sentence is shown too).
 */
const FIELDS: Record<string, (value: unknown) => string | undefined> = {
  enabled: (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
  scopes: (value) => (Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? undefined : 'must be a list of scope strings'),
  session_ttl: (value) => integerIn(value, 300, 7_776_000),
  idle_timeout: (value) => integerIn(value, 60, 7_776_000),
  retention: (value) => (value === null ? undefined : integerIn(value, 300, 10 * 365 * 86400)),
  refresh_grace: (value) => integerIn(value, 0, 60),
  metadata_max_bytes: (value) => integerIn(value, 2, 1_048_576),
  metadata_schema: (value) => (value === null || isObject(value) ? undefined : 'must be a JSON Schema object or null'),
  claims_mapping: (value) =>
    Array.isArray(value) &&
    value.length <= 10 &&
    value.every((entry) => isObject(entry) && typeof entry['claim'] === 'string' && typeof entry['path'] === 'string')
      ? undefined
      : 'must be at most 10 objects like {"claim": "plan", "path": "plan"}',
  require_dpop: (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
  require_if_match: (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
  transport: (value) => (value === 'body' || value === 'cookie' ? undefined : 'must be "body" or "cookie"'),
  merge_strategies: (value) => (isObject(value) ? undefined : 'must be an object of metadata key to strategy'),
  transfer_codes: (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
  telemetry: (value) => (value === null || isObject(value) ? undefined : 'must be an object with allowed_events and allowed_props, or null'),
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integerIn(value: unknown, min: number, max: number): string | undefined {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max ? undefined : `must be a whole number from ${min} to ${max}`;
}

export type Checked = { ok: true; value: Record<string, unknown> } | { ok: false; problems: string[] };

export function checkGuestSettings(text: string): Checked {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`This is not JSON: ${error instanceof Error ? error.message : String(error)}.`] };
  }
  if (!isObject(parsed)) return { ok: false, problems: ['The guest settings must be one JSON object.'] };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    const check = FIELDS[key];
    if (!check) problems.push(`"${key}" is not a guest setting; the settings are ${Object.keys(FIELDS).join(', ')}.`);
    else {
      const problem = check(value);
      if (problem) problems.push(`"${key}" ${problem}.`);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: parsed };
}
