import { Ajv, type ValidateFunction } from 'ajv';
import { RE2JS } from 're2js';

/**
 * The most RE2 instructions the patterns of one metadata schema may compile to, counted each
 * place a pattern is used. RE2 matches in time linear in the input, but the factor is the
 * program's size: `.{0,1000}$` (about 2000 instructions) spends about 250 ms on a 64 KB
 * string. At 1000, the slowest write of the largest metadata (64 KB) we could construct takes
 * about 120 ms, and of the default 4 KB under 10 ms; real patterns (an e-mail shape, a
 * currency code, a slug) compile to tens of instructions.
 */
export const MAX_PATTERN_INSTRUCTIONS = 1000;

/** Why a metadata schema cannot be used. The message starts with `guest.metadata_schema` and names what to fix. */
export class UnusableSchemaError extends Error {
  override name = 'UnusableSchemaError';
}

/**
 * Constructs of a valid ECMA-262 pattern that only a backtracking engine can run. The scan is
 * exact because the pattern parsed in `u` mode first: there, `\k` and `\1`–`\9` are only ever
 * backreferences, and `(` inside a character class is a literal.
 */
function backtrackingConstruct(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      if (/^[k1-9]$/.test(source[i + 1] ?? '')) return 'a backreference';
      i++;
    } else if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
    } else if (source.startsWith('(?=', i) || source.startsWith('(?!', i)) {
      return 'a lookahead';
    } else if (source.startsWith('(?<=', i) || source.startsWith('(?<!', i)) {
      return 'a lookbehind';
    }
  }
  return undefined;
}

/**
 * JSON Schema patterns are ECMA-262 regular expressions (JSON Schema Validation §6.3.3; ajv
 * adds the `u` flag). One is accepted when it is valid ECMA-262 and RE2 can run it, and it
 * runs on RE2 (re2js): V8's backtracking engine takes exponential time on patterns such as
 * `^(a+)+$`, and one guest value would then stall every request.
 */
function compilePattern(source: string): RE2JS {
  const named = `guest.metadata_schema pattern ${JSON.stringify(source)}`;
  try {
    new RegExp(source, 'u'); // parsed for its syntax only, never run
  } catch (error) {
    throw new UnusableSchemaError(`${named} is not a valid ECMA-262 regular expression (${(error as Error).message})`);
  }
  const construct = backtrackingConstruct(source);
  if (construct)
    throw new UnusableSchemaError(
      `${named} uses ${construct}, which cannot be matched in linear time; patterns run on RE2, without lookaround or backreferences`,
    );
  try {
    return RE2JS.compile(RE2JS.translateRegExp(source));
  } catch (error) {
    throw new UnusableSchemaError(`${named} is not supported by the linear-time engine (RE2: ${(error as Error).message})`);
  }
}

/** What ajv calls for each `pattern`, `patternProperties` and `propertyNames` pattern while it compiles one schema. */
function linearRegExpEngine() {
  let instructions = 0;
  const engine = (source: string) => {
    const program = compilePattern(source);
    instructions += program.programSize();
    if (instructions > MAX_PATTERN_INSTRUCTIONS) {
      throw new UnusableSchemaError(
        `guest.metadata_schema patterns compile to more than ${MAX_PATTERN_INSTRUCTIONS} RE2 instructions (${JSON.stringify(source)} alone: ${program.programSize()}); ` +
          'bound lengths with minLength and maxLength rather than counted repetition such as .{0,500}',
      );
    }
    return {
      test: (input: string) => program.test(input),
      // ajv shares one compiled pattern between the places that use the same source, keyed by this.
      toString: () => `/${source}/u`,
    };
  };
  // Only ajv's standalone code generation reads `code`, which Guestpass never uses.
  return Object.assign(engine, { code: 'guestpassLinearRegExp' });
}

/**
 * Deeper than any real schema (32 nested `properties`), shallow enough that the recursion of
 * the meta-schema check, ajv's compiler and JSON.stringify never meets the stack's limit.
 */
export const MAX_SCHEMA_DEPTH = 64;

/** How deeply objects and arrays nest in a JSON value, counted without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_SCHEMA_DEPTH) break;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** Checks schemas against the draft-07 meta-schema; it compiles none of them itself. */
const metaSchemas = new Ajv({ strict: false });

/**
 * Compiles a client's metadata schema; throws UnusableSchemaError naming what to fix. Each
 * schema gets an ajv instance of its own (under a millisecond), so a `$id` in one client's
 * schema can neither clash with another's nor be `$ref`erenced by it.
 */
function compile(schema: unknown): ValidateFunction {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new UnusableSchemaError('guest.metadata_schema must be a JSON Schema object, or null for none');
  }
  try {
    if (!metaSchemas.validateSchema(schema)) {
      throw new UnusableSchemaError(metaSchemas.errorsText(metaSchemas.errors, { dataVar: 'guest.metadata_schema' }));
    }
    const ajv = new Ajv({ strict: false, meta: false, validateSchema: false, addUsedSchema: false, code: { regExp: linearRegExpEngine() } });
    return ajv.compile(schema);
  } catch (error) {
    if (error instanceof UnusableSchemaError) throw error;
    throw new UnusableSchemaError(`guest.metadata_schema does not compile: ${(error as Error).message}`);
  }
}

/** Compiled schemas and refusals, by schema text, so each is compiled once per process. */
const compiled = new Map<string, ValidateFunction | UnusableSchemaError>();

/**
 * The validator for a metadata schema, compiled once per schema text. Throws
 * UnusableSchemaError when the schema is not valid JSON Schema (draft-07), nests too deeply,
 * fails to compile, or holds a pattern that RE2 cannot run or that exceeds the pattern budget.
 */
export function compileMetadataSchema(schema: unknown): ValidateFunction {
  // Checked first: JSON.stringify itself would overflow the stack on a deep enough value.
  if (depthOf(schema) > MAX_SCHEMA_DEPTH)
    throw new UnusableSchemaError(`guest.metadata_schema nests objects and arrays deeper than ${MAX_SCHEMA_DEPTH} levels`);
  const key = String(JSON.stringify(schema));
  let entry = compiled.get(key);
  if (entry === undefined) {
    try {
      entry = compile(schema);
    } catch (error) {
      if (!(error instanceof UnusableSchemaError)) throw error;
      entry = error;
    }
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(key, entry);
  }
  if (entry instanceof UnusableSchemaError) throw entry;
  return entry;
}
