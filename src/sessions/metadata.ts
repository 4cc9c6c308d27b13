import { Ajv, type ValidateFunction } from 'ajv';
import type { Client } from '../clients/types.js';
import { sessionError } from './error-codes.js';
import type { Metadata } from './user-store.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON Merge Patch (RFC 7396 §2): objects merge recursively, `null` deletes a member, any
 * other value replaces. A non-object patch replaces the whole document, which metadata
 * (always an object) refuses in `checkMetadata`.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new Map<string, ValidateFunction>();

function schemaValidator(client: Client): ValidateFunction | undefined {
  const schema = client.guest.metadataSchema;
  if (!schema) return undefined;
  // Keyed by the schema text, so an updated client schema compiles afresh.
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(key, validate);
  }
  return validate;
}

/** Checks the metadata is an object within the client's size limit and schema. */
export function checkMetadata(client: Client, metadata: unknown): Metadata {
  if (!isObject(metadata)) throw sessionError('METADATA_INVALID', 'Metadata must be a JSON object.');
  const size = Buffer.byteLength(JSON.stringify(metadata));
  const limit = client.guest.metadataMaxBytes;
  if (size > limit) throw sessionError('METADATA_TOO_LARGE', `Metadata is ${size} bytes serialized; this client allows at most ${limit} bytes.`);
  const validate = schemaValidator(client);
  if (validate && !validate(metadata)) {
    const issue = validate.errors?.[0];
    const where = issue?.instancePath ? ` at ${issue.instancePath}` : '';
    throw sessionError('METADATA_INVALID', `Metadata does not match the client's schema${where}: ${issue?.message ?? 'invalid'}.`);
  }
  return metadata;
}

/** The claims a client maps from metadata into access tokens; missing values are omitted. */
export function mappedClaims(client: Client, metadata: Metadata | undefined): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (!metadata) return claims;
  for (const { claim, path } of client.guest.claimsMapping) {
    let value: unknown = metadata;
    for (const segment of path.split('.')) value = isObject(value) ? value[segment] : undefined;
    if (value !== undefined) claims[claim] = value;
  }
  return claims;
}
