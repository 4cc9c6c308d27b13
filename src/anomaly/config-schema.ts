import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { defaultDetectionConfig, type DetectionConfig } from './config.js';
import type { ContainmentAction } from './types.js';

/** Overrides of the detection configuration: any subset, at any depth. */
export type DetectionConfigInput = { [K in keyof DetectionConfig]?: DeepPartial<DetectionConfig[K]> };
type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

const ACTIONS: readonly ContainmentAction[] = ['observe', 'throttle', 'revoke', 'block_prefix', 'quarantine'];

/** Which numbers must be whole, and their ranges; everything else is a number ≥ 0. */
function numberSchema(key: string): TSchema {
  if (key === 'weight' || key === 'datacenter_factor' || key === 'burst_p_value' || key === 'p_value' || key === 'off_hour_share')
    return Type.Number({ minimum: 0, maximum: 1 });
  if (key.endsWith('window_s')) return Type.Number({ exclusiveMinimum: 0 });
  if (key.startsWith('warmup') || key.endsWith('_warmup_windows') || key === 'burst_warmup_minutes' || key === 'burst_min_failures')
    return Type.Integer({ minimum: 0 });
  if (key.startsWith('max_') || key.endsWith('_entries') || key === 'tracked_keys' || key === 'baseline_size') return Type.Integer({ minimum: 1 });
  if (key === 'shared_network_sessions' || key === 'shared_network_origins') return Type.Integer({ minimum: 0 });
  if (key === 'busy_network_sessions') return Type.Integer({ minimum: 0, maximum: 12 });
  if (key === 'shared_block_countries') return Type.Integer({ minimum: 0, maximum: 8 });
  return Type.Number({ minimum: 0 });
}

/**
 * The schema of the overrides, derived from the defaults so the two cannot drift: every
 * object is closed (`additionalProperties: false`), every member optional.
 */
function schemaOf(value: unknown, key: string): TSchema {
  if (key === 'action') return Type.Union(ACTIONS.map((action) => Type.Literal(action)));
  if (typeof value === 'boolean') return Type.Boolean();
  if (typeof value === 'number') return numberSchema(key);
  const properties: Record<string, TSchema> = {};
  for (const [name, member] of Object.entries(value as Record<string, unknown>)) properties[name] = Type.Optional(schemaOf(member, name));
  return Type.Object(properties, { additionalProperties: false });
}

// Built on first use: config.ts re-exports this module, so the defaults are not yet
// initialised while this module is first evaluated.
let inputSchema: TSchema | undefined;

/** An error in a detection configuration file; the message names the key and what to do. */
export class DetectionConfigError extends Error {
  override name = 'DetectionConfigError';
}

function knownKeys(path: string[]): string[] {
  let node: unknown = defaultDetectionConfig;
  for (const segment of path) node = (node as Record<string, unknown>)[segment];
  return typeof node === 'object' && node !== null ? Object.keys(node) : [];
}

function describe(json: unknown): string | undefined {
  inputSchema ??= schemaOf(defaultDetectionConfig, '');
  const issue = Value.Errors(inputSchema, json).First();
  if (!issue) return undefined;
  const segments = issue.path.split('/').filter(Boolean);
  const dotted = segments.join('.');
  if (issue.message === 'Unexpected property') {
    const parent = segments.slice(0, -1);
    return `unknown key "${dotted}"; ${parent.length ? `"${parent.join('.')}"` : 'the top level'} accepts ${knownKeys(parent).join(', ')}.`;
  }
  if (segments.at(-1) === 'action') return `"${dotted}" must be one of ${ACTIONS.join(', ')}.`;
  return `${dotted ? `"${dotted}"` : 'the configuration'}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}.`;
}

function merge<T>(base: T, overrides: unknown): T {
  if (typeof base !== 'object' || base === null || typeof overrides !== 'object' || overrides === null)
    return (overrides === undefined ? base : overrides) as T;
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) result[key] = merge(result[key], value);
  return result as T;
}

/**
 * Reads detection overrides (a parsed JSON file) into a complete configuration. Unknown keys
 * and out-of-range values are refused with a message naming the exact key, so a typo never
 * silently leaves a default in force.
 */
export function parseDetectionConfig(json: unknown): DetectionConfig {
  const problem = describe(json);
  if (problem) throw new DetectionConfigError(`Detection configuration: ${problem}`);
  return merge(defaultDetectionConfig, json);
}

/** Defaults with typed overrides applied (the engine's constructor); throws like `parseDetectionConfig`. */
export function resolveDetectionConfig(overrides: DetectionConfigInput | undefined): DetectionConfig {
  return overrides === undefined ? defaultDetectionConfig : parseDetectionConfig(overrides);
}
