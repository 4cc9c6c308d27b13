import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** The limits of one telemetry event, in one place for the validator, the docs and the tests. */
export const LIMITS = {
  eventsPerBatch: 500,
  bodyBytes: 512 * 1024,
  eventBytes: 16 * 1024,
  propKeys: 32,
  propStringLength: 256,
  metricKeys: 32,
  errorMessageLength: 1024,
  /** Largest metric magnitude: sums of many stay exact in a double and finite. */
  metricMagnitude: 1e12,
  pastMs: 7 * 86_400_000,
  futureMs: 5 * 60_000,
} as const;

export const EVENT_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/;
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const PROP_KEY = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const METRIC_KEY = /^[a-z][a-z0-9_.]{0,63}$/;
/** PostgreSQL text cannot hold NUL, and no real prop needs it. */
const NO_NUL = '^[^\\u0000]*$';

// Context fields are typed identifiers, not free text (DESIGN §2 principle 4): a structural
// bound on what can reach the store, before pattern detection runs at all.
const CONTEXT = {
  app_version: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$' }),
  deployment: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$' }),
  platform: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._ /-]{0,63}$' }),
  locale: Type.String({ pattern: '^[A-Za-z]{2,3}([_-][A-Za-z0-9]{1,8}){0,3}$' }),
};

export const TelemetryEventItem = Type.Object(
  {
    id: Type.String({ pattern: UUID, description: 'Client-made UUID: the idempotency key.' }),
    name: Type.String({ pattern: EVENT_NAME.source }),
    ts: Type.Union([Type.String({ maxLength: 40 }), Type.Integer({ minimum: 0 })], { description: 'ISO 8601 with a time zone, or epoch milliseconds.' }),
    props: Type.Optional(
      Type.Record(Type.RegExp(PROP_KEY), Type.Union([Type.String({ maxLength: LIMITS.propStringLength, pattern: NO_NUL }), Type.Number(), Type.Boolean()]), {
        maxProperties: LIMITS.propKeys,
        additionalProperties: false,
      }),
    ),
    context: Type.Optional(
      Type.Object(
        {
          app_version: Type.Optional(CONTEXT.app_version),
          deployment: Type.Optional(CONTEXT.deployment),
          platform: Type.Optional(CONTEXT.platform),
          locale: Type.Optional(CONTEXT.locale),
        },
        { additionalProperties: false },
      ),
    ),
    metrics: Type.Optional(
      Type.Record(Type.RegExp(METRIC_KEY), Type.Number({ minimum: -LIMITS.metricMagnitude, maximum: LIMITS.metricMagnitude }), {
        maxProperties: LIMITS.metricKeys,
        additionalProperties: false,
      }),
    ),
    error: Type.Optional(
      Type.Object(
        {
          type: Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_.:$-]{0,127}$' }),
          message: Type.Optional(Type.String({ maxLength: LIMITS.errorMessageLength, pattern: NO_NUL })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TelemetryEventItem = Static<typeof TelemetryEventItem>;

export const checkEventItem = TypeCompiler.Compile(TelemetryEventItem);

/**
 * The request body: JSON `{"events": [...]}`, or the form `events=<JSON string>` plus
 * `access_token` (RFC 6750 §2.2) for navigator.sendBeacon. Items are checked one by one
 * (checkEventItem), so one bad event never fails the batch.
 */
export const IngestBody = Type.Object(
  {
    events: Type.Union([Type.Array(Type.Unknown()), Type.String({ maxLength: LIMITS.bodyBytes })], {
      description: 'The events: a JSON array, or in a form body a JSON array encoded as a string.',
    }),
    access_token: Type.Optional(Type.String({ maxLength: 8192, description: 'Form bodies only (RFC 6750 §2.2), for navigator.sendBeacon.' })),
  },
  { additionalProperties: false },
);
export type IngestBody = Static<typeof IngestBody>;

/** Field descriptions for item errors: the sentence a developer needs, by the first path segment. */
export const FIELD_HINTS: Record<string, string> = {
  id: 'id must be a UUID made by the client (the idempotency key), e.g. 0190a8c2-7b1e-7cc0-9f00-3a1d2b4c5d6e',
  name: `name must match ${EVENT_NAME.source}`,
  ts: 'ts must be ISO 8601 with a time zone (2025-01-31T12:00:00Z) or epoch milliseconds',
  props: `props must be a flat object of at most ${LIMITS.propKeys} keys matching ${PROP_KEY.source}, each a string of at most ${LIMITS.propStringLength} characters, a number or a boolean`,
  context: 'context may hold app_version, deployment, platform and locale, each a short identifier (letters, digits and . _ - + / :)',
  metrics: `metrics must be an object of at most ${LIMITS.metricKeys} named numbers between -1e12 and 1e12, names matching ${METRIC_KEY.source}`,
  error: `error must be {type, message?}: type an identifier such as TypeError, message at most ${LIMITS.errorMessageLength} characters`,
};
