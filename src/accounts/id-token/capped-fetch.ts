/**
 * Documents from an identity provider are small (a discovery document or a JWKS is a few
 * kilobytes), so a body past a cap is refused while it streams in: a broken or hostile issuer
 * cannot make Guestpass buffer an arbitrary amount of memory.
 */

export class ResponseTooLarge extends Error {
  override name = 'ResponseTooLarge';
}

/** Reads the whole body, or throws `ResponseTooLarge` as soon as it passes `maxBytes`. */
export async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new ResponseTooLarge(`the response declares ${declared} bytes, more than ${maxBytes}`);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ResponseTooLarge(`the response is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Wraps a fetch so that every 200 body is read under the cap before the caller sees it (used as
 * jose's `customFetch` for the JWKS). Other statuses keep no body: callers treat them as failures.
 */
export function cappedFetch(fetchImpl: typeof fetch, maxBytes: number): (url: string, init: RequestInit) => Promise<Response> {
  return async (url, init) => {
    const response = await fetchImpl(url, init);
    if (response.status !== 200) {
      await response.body?.cancel();
      return new Response(null, { status: response.status, statusText: response.statusText });
    }
    const body = await readCapped(response, maxBytes);
    // Buffer.concat's bytes sit in a plain ArrayBuffer; the DOM lib's BodyInit (the SDK's tests
    // type-check this file with it) wants that said.
    return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers: response.headers });
  };
}
