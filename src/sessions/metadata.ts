import type { ValidateFunction } from 'ajv';
import { type Client, clientError, compileMetadataSchema, UnusableSchemaError } from '../clients/index.js';
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

/**
 * The client's schema, compiled once per schema text (patterns run in linear time). A schema
 * is checked when it is set; one stored before that check that does not compile refuses every
 * write with METADATA_SCHEMA_UNUSABLE, naming the fix, rather than failing as a 500 or letting
 * metadata through unchecked.
 */
function schemaValidator(client: Client): ValidateFunction | undefined {
  const schema = client.guest.metadataSchema;
  if (!schema) return undefined;
  try {
    return compileMetadataSchema(schema);
  } catch (error) {
    if (!(error instanceof UnusableSchemaError)) throw error;
    throw clientError(
      'METADATA_SCHEMA_UNUSABLE',
      `This client's ${error.message}, so no metadata can be written until an administrator corrects or removes it with PATCH /admin/api/clients/:id {"guest": {"metadata_schema": …}}.`,
    );
  }
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

/**
 * The claims a client maps from metadata into access tokens; missing values are omitted. Only
 * the metadata's own members are read, so no path reaches a prototype (`__proto__`,
 * `constructor`), whatever mapping was stored before such paths were refused.
 */
export function mappedClaims(client: Client, metadata: Metadata | undefined): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (!metadata) return claims;
  for (const { claim, path } of client.guest.claimsMapping) {
    let value: unknown = metadata;
    for (const segment of path.split('.')) value = isObject(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
    if (value !== undefined) claims[claim] = value;
  }
  return claims;
}
