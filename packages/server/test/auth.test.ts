/**
 * Authentication: HS256 and JWKS tokens (valid, expired, forged, wrong algorithm, wrong claims),
 * dev mode, stable user colors, and finding the token in an HTTP request. The JWKS tests run a
 * real HTTP server on 127.0.0.1 serving keys generated here, so the remote key-set path (fetch,
 * cache, unknown keys, an unreachable endpoint) is exercised, not mocked.
 */
import assert from 'node:assert/strict';
import { createServer, IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { AuthError, type AuthFailure } from '../src/auth/auth-error.js';
import { Authenticator, CLOCK_TOLERANCE_SECONDS, MAX_TOKEN_LENGTH } from '../src/auth/authenticator.js';
import { tokenFromRequest } from '../src/auth/request-token.js';
import { colorForUser, USER_COLORS } from '../src/auth/user-color.js';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long';

/**
 * Signs a token for tests (HS256 by default). Claims are taken as given; `exp` defaults to an
 * hour from now, and `exp: null` leaves it out.
 */
export async function signDevToken(
  claims: Omit<JWTPayload, 'exp'> & { exp?: number | null },
  key: Uint8Array | CryptoKey = new TextEncoder().encode(SECRET),
  header: { alg?: string; kid?: string } = {},
): Promise<string> {
  const { exp, ...rest } = claims;
  const jwt = new SignJWT(rest).setProtectedHeader({ alg: header.alg ?? 'HS256', ...(header.kid === undefined ? {} : { kid: header.kid }) });
  if (exp !== null) jwt.setExpirationTime(exp ?? nowSeconds() + 3600);
  return jwt.sign(key);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An unsigned token (`alg: none`), built by hand because jose rightly refuses to verify one. */
function unsignedToken(claims: JWTPayload): string {
  const enc = (v: object): string => base64url.encode(JSON.stringify(v));
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

/** Asserts an AuthError with the reason, and that the message does not echo the token. */
async function rejects(p: Promise<unknown>, reason: AuthFailure, token?: string): Promise<AuthError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AuthError, `expected AuthError, got ${String(e)}`);
    assert.equal(e.code, 'UNAUTHENTICATED');
    assert.equal(e.reason, reason, e.message);
    assert.ok(e.message.length > 0);
    // Short junk could occur in any message by chance; real tokens and signatures cannot.
    if (token !== undefined && token.length >= 8) {
      assert.ok(!e.message.includes(token), 'message must not contain the token');
      const signature = token.split('.')[2];
      if (signature !== undefined && signature.length >= 8) assert.ok(!e.message.includes(signature));
    }
    return e;
  }
  assert.fail(`expected an AuthError (${reason})`);
}

describe('HS256', () => {
  const auth = new Authenticator({ mode: 'hs256', secret: SECRET });

  test('a valid token gives the principal from its claims', async () => {
    const p = await auth.authenticate(await signDevToken({ sub: 'alice', name: 'Alice Liddell' }));
    assert.deepEqual(p, { userId: 'alice', name: 'Alice Liddell', color: colorForUser('alice'), dev: false });
    assert.equal(auth.mode, 'hs256');
  });

  test('the name falls back to preferred_username, then to the id', async () => {
    assert.equal((await auth.authenticate(await signDevToken({ sub: 'u1', preferred_username: 'bob' }))).name, 'bob');
    assert.equal((await auth.authenticate(await signDevToken({ sub: 'u2' }))).name, 'u2');
    assert.equal((await auth.authenticate(await signDevToken({ sub: 'u3', name: '   ', preferred_username: 'c' }))).name, 'c');
    assert.equal((await auth.authenticate(await signDevToken({ sub: 'u4', name: { evil: true } }))).name, 'u4');
  });

  test('names lose control and bidi-override characters and are capped', async () => {
    const p = await auth.authenticate(await signDevToken({ sub: 'u', name: 'Mal\u202Eory\n' + 'x'.repeat(300) }));
    assert.ok(!/[\u202E\n]/.test(p.name));
    assert.ok(p.name.startsWith('Malory'));
    assert.equal(p.name.length, 128);
  });

  test('an expired token is refused', async () => {
    const token = await signDevToken({ sub: 'alice', exp: nowSeconds() - 60 });
    const e = await rejects(auth.authenticate(token), 'expired', token);
    assert.match(e.message, /expired/);
  });

  test(`expiry within the ${CLOCK_TOLERANCE_SECONDS} s clock tolerance is accepted`, async () => {
    const p = await auth.authenticate(await signDevToken({ sub: 'alice', exp: nowSeconds() - 2 }));
    assert.equal(p.userId, 'alice');
  });

  test('a token not valid yet (nbf) is refused', async () => {
    const token = await signDevToken({ sub: 'alice', nbf: nowSeconds() + 120 });
    await rejects(auth.authenticate(token), 'claims', token);
  });

  test('a token signed with another secret is refused', async () => {
    const token = await signDevToken({ sub: 'alice' }, new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'));
    const e = await rejects(auth.authenticate(token), 'signature', token);
    assert.match(e.message, /signature/);
  });

  test('a tampered payload is refused', async () => {
    const token = await signDevToken({ sub: 'alice' });
    const [h, , s] = token.split('.');
    const forged = `${h}.${base64url.encode(JSON.stringify({ sub: 'admin', exp: nowSeconds() + 60 }))}.${s}`;
    await rejects(auth.authenticate(forged), 'signature', forged);
  });

  test('alg none is refused', async () => {
    const token = unsignedToken({ sub: 'alice', exp: nowSeconds() + 60 });
    const e = await rejects(auth.authenticate(token), 'algorithm', token);
    assert.match(e.message, /HS256/);
  });

  test('an asymmetric algorithm is refused in HS256 mode', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await signDevToken({ sub: 'alice' }, privateKey, { alg: 'RS256' });
    await rejects(auth.authenticate(token), 'algorithm', token);
  });

  test('HS384/HS512 are refused even with the right secret', async () => {
    const token = await signDevToken({ sub: 'alice' }, new TextEncoder().encode(SECRET), { alg: 'HS512' });
    await rejects(auth.authenticate(token), 'algorithm', token);
  });

  test('a token without sub, or with an unusable sub, is refused', async () => {
    const none = await signDevToken({ name: 'nobody' });
    const e = await rejects(auth.authenticate(none), 'claims', none);
    assert.match(e.message, /"sub"/);
    for (const sub of ['', 'x'.repeat(256), 'bad\u0000id', 'tab\tid']) {
      const token = await signDevToken({ sub });
      await rejects(auth.authenticate(token), 'claims', token);
    }
    const numeric = await signDevToken({ sub: 42 as unknown as string });
    await rejects(auth.authenticate(numeric), 'claims', numeric);
    assert.equal((await auth.authenticate(await signDevToken({ sub: 'x'.repeat(255) }))).userId.length, 255);
  });

  test('a token without exp is refused unless the configuration allows it', async () => {
    const token = await signDevToken({ sub: 'alice', exp: null });
    const e = await rejects(auth.authenticate(token), 'claims', token);
    assert.match(e.message, /"exp"/);
    const lax = new Authenticator({ mode: 'hs256', secret: SECRET, requireExpiry: false });
    assert.equal((await lax.authenticate(token)).userId, 'alice');
  });

  test('issuer and audience are checked when configured', async () => {
    const strict = new Authenticator({ mode: 'hs256', secret: SECRET, issuer: 'https://id.example', audience: ['tandem', 'other'] });
    const good = await signDevToken({ sub: 'alice', iss: 'https://id.example', aud: 'tandem' });
    assert.equal((await strict.authenticate(good)).userId, 'alice');
    const wrongIss = await signDevToken({ sub: 'alice', iss: 'https://evil.example', aud: 'tandem' });
    assert.match((await rejects(strict.authenticate(wrongIss), 'claims', wrongIss)).message, /"iss"/);
    const wrongAud = await signDevToken({ sub: 'alice', iss: 'https://id.example', aud: 'someone-else' });
    assert.match((await rejects(strict.authenticate(wrongAud), 'claims', wrongAud)).message, /"aud"/);
    const noIss = await signDevToken({ sub: 'alice', aud: 'tandem' });
    await rejects(strict.authenticate(noIss), 'claims', noIss);
  });

  test('missing, malformed and oversized tokens are refused', async () => {
    await rejects(auth.authenticate(undefined), 'missing');
    await rejects(auth.authenticate(''), 'missing');
    for (const junk of ['abc', 'a.b.c', '...', 'a.b', 'eyJhbGciOiJIUzI1NiJ9.e30', '%%%.%%%.%%%', '\u0000']) {
      await rejects(auth.authenticate(junk), 'malformed', junk);
    }
    await rejects(auth.authenticate('a'.repeat(MAX_TOKEN_LENGTH + 1)), 'malformed');
    await rejects(auth.authenticate(42 as unknown as string), 'malformed');
  });

  test('a dev user is ignored when a secret is configured', async () => {
    await rejects(auth.authenticate(undefined, { id: 'mallory' }), 'missing');
  });

  test('a short or missing secret is a configuration error', () => {
    assert.throws(() => new Authenticator({ mode: 'hs256', secret: 'short' }), /at least 32 bytes/);
    assert.throws(() => new Authenticator({ mode: 'hs256', secret: undefined as unknown as string }), TypeError);
    assert.throws(() => new Authenticator({ mode: 'bogus' } as unknown as { mode: 'dev' }), /unknown auth mode/);
  });
});

describe('JWKS', () => {
  let server: Server;
  let url: string;
  let fetches = 0;
  const keys: { alg: string; kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];

  before(async () => {
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      const pair = await generateKeyPair(alg);
      const kid = `key-${alg}`;
      keys.push({ alg, kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } });
    }
    server = createServer((req, res) => {
      fetches++;
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  });

  function key(alg: string): { kid: string; privateKey: CryptoKey } {
    const k = keys.find((x) => x.alg === alg);
    assert.ok(k);
    return k;
  }

  test('RS256, ES256 and EdDSA tokens verify against the published keys', async () => {
    const auth = new Authenticator({ mode: 'jwks', url, issuer: 'https://idp.example' });
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      const { kid, privateKey } = key(alg);
      const token = await signDevToken({ sub: `user-${alg}`, iss: 'https://idp.example', name: alg }, privateKey, { alg, kid });
      assert.deepEqual(await auth.authenticate(token), { userId: `user-${alg}`, name: alg, color: colorForUser(`user-${alg}`), dev: false });
    }
    // The key set is fetched once and cached across tokens.
    assert.equal(fetches, 1);
  });

  test('HS256 is refused in JWKS mode (no algorithm confusion)', async () => {
    const auth = new Authenticator({ mode: 'jwks', url });
    const rsa = keys.find((k) => k.alg === 'RS256');
    assert.ok(rsa);
    // The classic attack: HMAC with the public key's bytes as the secret.
    const token = await signDevToken({ sub: 'mallory' }, new TextEncoder().encode(JSON.stringify(rsa.jwk)), { alg: 'HS256', kid: rsa.kid });
    await rejects(auth.authenticate(token), 'algorithm', token);
    const none = unsignedToken({ sub: 'mallory', exp: nowSeconds() + 60 });
    await rejects(auth.authenticate(none), 'algorithm', none);
  });

  test('a token from a key that is not published is refused', async () => {
    const auth = new Authenticator({ mode: 'jwks', url, cooldownMs: 0 });
    const stranger = await generateKeyPair('ES256');
    const unknownKid = await signDevToken({ sub: 'mallory' }, stranger.privateKey, { alg: 'ES256', kid: 'not-published' });
    await rejects(auth.authenticate(unknownKid), 'signature', unknownKid);
    // Same kid as a published key, but signed by someone else.
    const sameKid = await signDevToken({ sub: 'mallory' }, stranger.privateKey, { alg: 'ES256', kid: key('ES256').kid });
    await rejects(auth.authenticate(sameKid), 'signature', sameKid);
  });

  test('expired and claim-less tokens are refused in JWKS mode too', async () => {
    const auth = new Authenticator({ mode: 'jwks', url, audience: 'tandem' });
    const { kid, privateKey } = key('RS256');
    const expired = await signDevToken({ sub: 'a', aud: 'tandem', exp: nowSeconds() - 60 }, privateKey, { alg: 'RS256', kid });
    await rejects(auth.authenticate(expired), 'expired', expired);
    const noSub = await signDevToken({ aud: 'tandem' }, privateKey, { alg: 'RS256', kid });
    await rejects(auth.authenticate(noSub), 'claims', noSub);
    const wrongAud = await signDevToken({ sub: 'a', aud: 'other' }, privateKey, { alg: 'RS256', kid });
    await rejects(auth.authenticate(wrongAud), 'claims', wrongAud);
  });

  test('an unreachable or broken key endpoint is keys_unavailable', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { kid, privateKey } = key('RS256');
    const token = await signDevToken({ sub: 'a' }, privateKey, { alg: 'RS256', kid });
    const dead = new Authenticator({ mode: 'jwks', url: `http://127.0.0.1:${deadPort}/jwks.json`, timeoutMs: 2000 });
    await rejects(dead.authenticate(token), 'keys_unavailable', token);
    const notFound = new Authenticator({ mode: 'jwks', url: url.replace('jwks.json', 'missing.json') });
    await rejects(notFound.authenticate(token), 'keys_unavailable', token);
  });

  test('the JWKS URL must be https unless it is on loopback', () => {
    assert.throws(() => new Authenticator({ mode: 'jwks', url: 'http://idp.example/jwks.json' }), /https/);
    assert.throws(() => new Authenticator({ mode: 'jwks', url: 'not a url' }), /not a valid URL/);
    assert.equal(new Authenticator({ mode: 'jwks', url: 'https://idp.example/jwks.json' }).mode, 'jwks');
    assert.equal(new Authenticator({ mode: 'jwks', url: 'http://localhost:8080/jwks.json' }).mode, 'jwks');
  });
});

describe('dev mode', () => {
  const auth = new Authenticator({ mode: 'dev' });

  test('the client names itself', async () => {
    assert.deepEqual(await auth.authenticate(undefined, { id: 'dev-1', name: 'Dev One' }), {
      userId: 'dev-1',
      name: 'Dev One',
      color: colorForUser('dev-1'),
      dev: true,
    });
    assert.equal((await auth.authenticate(undefined, { id: 'dev-2' })).name, 'dev-2');
    assert.equal(auth.mode, 'dev');
  });

  test('a token is ignored: there is nothing to verify it against', async () => {
    const token = await signDevToken({ sub: 'alice' });
    assert.equal((await auth.authenticate(token, { id: 'bob' })).userId, 'bob');
    await rejects(auth.authenticate(token), 'dev_user', token);
  });

  test('ids are 1..128 characters without control characters', async () => {
    assert.equal((await auth.authenticate(undefined, { id: 'x'.repeat(128) })).userId.length, 128);
    assert.equal((await auth.authenticate(undefined, { id: '__proto__' })).userId, '__proto__');
    await rejects(auth.authenticate(undefined, { id: 'x'.repeat(129) }), 'dev_user');
    await rejects(auth.authenticate(undefined, { id: '' }), 'dev_user');
    await rejects(auth.authenticate(undefined, { id: 'a\nb' }), 'dev_user');
    await rejects(auth.authenticate(undefined, { id: '\uD800' }), 'dev_user');
    await rejects(auth.authenticate(undefined, { id: 7 as unknown as string }), 'dev_user');
    await rejects(auth.authenticate(undefined, null as unknown as { id: string }), 'dev_user');
    await rejects(auth.authenticate(undefined), 'dev_user');
  });
});

describe('user colors', () => {
  test('stable, from the palette, and spread over it', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const c = colorForUser(`user${i}`);
      assert.equal(c, colorForUser(`user${i}`));
      assert.match(c, /^#[0-9A-F]{6}$/);
      seen.add(c);
    }
    assert.equal(seen.size, USER_COLORS.length);
    assert.ok(USER_COLORS.includes(colorForUser('')));
  });

  test('every color is readable against white (WCAG AA, 4.5:1)', () => {
    const channel = (v: number): number => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    for (const hex of USER_COLORS) {
      const [r, g, b] = [1, 3, 5].map((i) => channel(parseInt(hex.slice(i, i + 2), 16) / 255)) as [number, number, number];
      const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      assert.ok(1.05 / (luminance + 0.05) >= 4.5, `${hex} is too light`);
    }
  });
});

describe('tokenFromRequest', () => {
  function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
    const req = new IncomingMessage(new Socket());
    req.url = url;
    req.headers = headers;
    return req;
  }

  test('from the Authorization header', () => {
    assert.equal(tokenFromRequest(request('/ws', { authorization: 'Bearer abc.def.ghi' })), 'abc.def.ghi');
    assert.equal(tokenFromRequest(request('/ws', { authorization: 'bearer   abc.def-_.g+h/i=' })), 'abc.def-_.g+h/i=');
  });

  test('from the token query parameter', () => {
    assert.equal(tokenFromRequest(request('/ws?token=abc.def.ghi')), 'abc.def.ghi');
    assert.equal(tokenFromRequest(request('/ws?doc=1&token=a%2Eb.c#frag')), 'a.b.c');
  });

  test('the header wins over the query', () => {
    assert.equal(tokenFromRequest(request('/ws?token=from-query', { authorization: 'Bearer from-header' })), 'from-header');
  });

  test('other schemes and malformed headers fall back to the query', () => {
    assert.equal(tokenFromRequest(request('/ws?token=q', { authorization: 'Basic dXNlcjpwYXNz' })), 'q');
    assert.equal(tokenFromRequest(request('/ws?token=q', { authorization: 'Bearer ' })), 'q');
    assert.equal(tokenFromRequest(request('/ws?token=q', { authorization: 'Bearer a b' })), 'q');
  });

  test('none, empty or ambiguous gives undefined', () => {
    assert.equal(tokenFromRequest(request('/ws')), undefined);
    assert.equal(tokenFromRequest(request('/ws?token=')), undefined);
    assert.equal(tokenFromRequest(request('/ws?token=a&token=b')), undefined);
    assert.equal(tokenFromRequest(request('/ws', { authorization: 'Basic x' })), undefined);
  });
});
