import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { GuestSettings } from '../src/clients/guest-settings.js';
import { describeEachDatabase } from './helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, json, type JsonResponse } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * `^(a+)+$`, catastrophic on a backtracking engine: 2^27 ways to split the a's of the input
 * below before "!" fails the match. The salt makes each use a new source, so no case runs on
 * V8's native code for a pattern an earlier case tiered up (about ten times faster).
 */
const exponential = (salt: string) => `^(?:${salt}|(a+)+)$`;
const EXPONENTIAL_INPUT = `${'a'.repeat(28)}!`;
/** A metadata write takes milliseconds; V8 spent over 10 s on the input above. */
const PROMPT_MS = 1000;

describeEachDatabase('hardening: client configuration', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  before(async () => {
    server = await startTestServer({ database });
    admin = new GuestAdmin(server);
  });
  after(() => server.stop());

  const writeMetadata = async (token: string, patch: unknown): Promise<JsonResponse> =>
    json(
      await fetch(`${server.url}/anonymous/session/metadata`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify(patch),
      }),
    );

  const createClient = (guest: Record<string, unknown>) =>
    admin.call('POST', '/admin/api/clients', { name: 'web', type: 'public', allowed_origins: ['http://localhost:3000'], guest });

  /** Asserts a 400 invalid_client_metadata whose description matches every pattern given. */
  function assertRefused(response: JsonResponse, ...reasons: RegExp[]): void {
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body['error'], 'invalid_client_metadata', JSON.stringify(response.body));
    for (const reason of reasons) assert.match(String(response.body['error_description']), reason);
  }

  /**
   * Writes guest settings straight to the store, as a row written before these checks existed
   * would be read, and tells the client cache, as the service does after an update.
   */
  async function storeUnchecked(clientId: string, guest: Partial<GuestSettings>): Promise<void> {
    const client = await server.ctx.clientStore.get(clientId);
    assert.ok(client);
    await server.ctx.clientStore.update({ ...client, guest: { ...client.guest, ...guest } });
    server.ctx.events.emit('client.updated', { time: Date.now(), client_id: clientId, subject: clientId });
  }

  const schemasUsingPatterns: [string, (pattern: string) => Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
    ['pattern', (pattern) => ({ properties: { name: { type: 'string', pattern } } }), { name: EXPONENTIAL_INPUT }, { name: 'aaa' }],
    [
      'patternProperties',
      (pattern) => ({ patternProperties: { [pattern]: { type: 'string' } }, additionalProperties: false }),
      { [EXPONENTIAL_INPUT]: 'x' },
      { aaa: 'x' },
    ],
    ['propertyNames', (pattern) => ({ propertyNames: { pattern } }), { [EXPONENTIAL_INPUT]: 1 }, { aaa: 1 }],
    [
      'a pattern inside items',
      (pattern) => ({ properties: { tags: { type: 'array', items: { type: 'string', pattern } } } }),
      { tags: ['aa', EXPONENTIAL_INPUT] },
      { tags: ['aa'] },
    ],
  ];
  for (const [where, schemaWith, failing, passing] of schemasUsingPatterns) {
    it(`should evaluate ${where} in linear time, so a guest value cannot stall the server`, async () => {
      const clientId = await admin.publicClient({ metadata_schema: schemaWith(exponential(`${database}-${where}`)) });
      const guest = (await createGuest(server, { client_id: clientId })).body;

      const started = performance.now();
      const refused = await writeMetadata(guest.access_token, failing);
      const elapsed = performance.now() - started;
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body['error'], 'invalid_request');
      assert.ok(elapsed < PROMPT_MS, `the write took ${Math.round(elapsed)} ms`);

      assert.equal((await writeMetadata(guest.access_token, passing)).status, 200, 'a matching value is still accepted');
    });
  }

  it('should keep ECMA-262 pattern syntax that the linear-time engine supports', async () => {
    const schema = {
      properties: {
        word: { type: 'string', pattern: '^(?<first>\\p{L})\\w*$' },
        code: { type: 'string', pattern: '^\\u0041[\\x42-\\x44]\\d{2}$' },
        anything: { type: 'string', pattern: '^[^]{0,3}$' },
      },
    };
    const clientId = await admin.publicClient({ metadata_schema: schema });
    const guest = (await createGuest(server, { client_id: clientId })).body;
    assert.equal((await writeMetadata(guest.access_token, { word: 'Ébene', code: 'AC42', anything: 'a\nb' })).status, 200);
    assert.equal((await writeMetadata(guest.access_token, { code: 'AE42' })).status, 400);
    assert.equal((await writeMetadata(guest.access_token, { word: '1abc' })).status, 400);
  });

  it('should refuse, when it is set, a metadata schema that does not compile, saying why', async () => {
    assertRefused(await createClient({ metadata_schema: { type: 'nope' } }), /guest\.metadata_schema/, /type/);
    assertRefused(await createClient({ metadata_schema: { properties: { a: { $ref: '#/$defs/missing' } } } }), /guest\.metadata_schema/, /missing/);

    const clientId = await admin.publicClient();
    assertRefused(await admin.call('PATCH', `/admin/api/clients/${clientId}`, { guest: { metadata_schema: { type: 'nope' } } }), /guest\.metadata_schema/);
    const stored = await admin.call('GET', `/admin/api/clients/${clientId}`);
    assert.equal((stored.body['guest'] as Record<string, unknown>)['metadata_schema'], null, 'the refused schema was not stored');

    await assert.rejects(
      server.createClient(['--name', 'cli', '--type', 'public', '--guest-settings', JSON.stringify({ metadata_schema: { type: 'nope' } })]),
      /guest\.metadata_schema/,
    );
    await assert.rejects(
      server.createClient(['--name', 'cli', '--type', 'public', '--guest-settings', JSON.stringify({ metadata_schema: 'string' })]),
      /guest\.metadata_schema/,
    );
  });

  it('should refuse, when it is set, a pattern that cannot run in linear time or is not ECMA-262', async () => {
    const withPattern = (pattern: string) => createClient({ metadata_schema: { properties: { a: { type: 'string', pattern } } } });
    assertRefused(await withPattern('^(?=.*\\d).{8,}$'), /guest\.metadata_schema/, /\(\?=/, /lookahead/);
    assertRefused(await withPattern('^(?<!x)y$'), /guest\.metadata_schema/, /lookbehind/);
    assertRefused(await withPattern('^(a)\\1$'), /guest\.metadata_schema/, /backreference/);
    assertRefused(await withPattern('^(?<q>a)\\k<q>$'), /guest\.metadata_schema/, /backreference/);
    assertRefused(await withPattern('^[a'), /guest\.metadata_schema/, /ECMA-262/);
    assertRefused(await withPattern('(?i)abc'), /guest\.metadata_schema/, /ECMA-262/);
    assertRefused(
      await createClient({ metadata_schema: { patternProperties: { '(?=x)': {} }, additionalProperties: false } }),
      /guest\.metadata_schema/,
      /lookahead/,
    );
    // Linear, but a program this large costs seconds on 64 KB of metadata: lengths belong in maxLength.
    assertRefused(await withPattern('^.{0,1000}$'), /guest\.metadata_schema/, /maxLength/);
  });

  it('should refuse metadata writes with a clear error, never a 500, while a stored schema does not compile', async () => {
    const clientId = await admin.publicClient();
    const guest = (await createGuest(server, { client_id: clientId })).body;
    await storeUnchecked(clientId, { metadataSchema: { type: 'nope' } });

    const write = await writeMetadata(guest.access_token, { a: 1 });
    assertRefused(write, /guest\.metadata_schema/, /PATCH \/admin\/api\/clients/);
    assertRefused(await createGuest(server, { client_id: clientId, metadata: { a: 1 } }), /guest\.metadata_schema/);
    assert.equal((await createGuest(server, { client_id: clientId })).status, 200, 'sessions without metadata still start');

    await storeUnchecked(clientId, { metadataSchema: { properties: { a: { type: 'string', pattern: '(?=a)' } } } });
    assertRefused(await writeMetadata(guest.access_token, { a: 'a' }), /guest\.metadata_schema/, /lookahead/);

    const fixed = await admin.call('PATCH', `/admin/api/clients/${clientId}`, { guest: { metadata_schema: { properties: { a: { type: 'integer' } } } } });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal((await writeMetadata(guest.access_token, { a: 1 })).status, 200);
  });

  it('should refuse claims_mapping paths and claim names that reach an object prototype', async () => {
    const refused: { claim: string; path: string }[] = [
      { claim: 'c', path: '__proto__.polluted' },
      { claim: 'c', path: 'constructor.name' },
      { claim: 'c', path: 'preferences.constructor.prototype' },
      { claim: 'c', path: 'preferences.__proto__' },
      { claim: '__proto__', path: 'preferences.currency' },
      { claim: 'constructor', path: 'preferences.currency' },
      { claim: 'prototype', path: 'preferences.currency' },
    ];
    for (const mapping of refused) {
      assertRefused(await createClient({ claims_mapping: [mapping] }), /__proto__, constructor or prototype/);
    }
    const clientId = await admin.publicClient();
    assertRefused(
      await admin.call('PATCH', `/admin/api/clients/${clientId}`, { guest: { claims_mapping: [{ claim: 'c', path: 'a.prototype' }] } }),
      /prototype/,
    );
    assert.equal((await createClient({ claims_mapping: [{ claim: 'currency', path: 'preferences.currency' }] })).status, 201);
  });

  it('should copy only the metadata’s own values into access tokens, even from a mapping stored before the check', async () => {
    const clientId = await admin.publicClient({ claims_mapping: [{ claim: 'currency', path: 'preferences.currency' }] });
    await storeUnchecked(clientId, {
      claimsMapping: [
        { claim: 'currency', path: 'preferences.currency' },
        { claim: 'prototype_of_metadata', path: '__proto__' },
        { claim: 'prototype_of_preferences', path: 'preferences.__proto__' },
        { claim: 'kind', path: 'constructor.name' },
      ],
    });
    const guest = await createGuest(server, { client_id: clientId, metadata: { preferences: { currency: 'EUR' } } });
    assert.equal(guest.status, 200, JSON.stringify(guest.body));
    const claims = claimsOf(guest.body.access_token);
    assert.equal(claims['currency'], 'EUR');
    for (const inherited of ['prototype_of_metadata', 'prototype_of_preferences', 'kind'])
      assert.equal(inherited in claims, false, `${inherited}: ${JSON.stringify(claims[inherited])}`);
  });
});
