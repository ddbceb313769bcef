/**
 * Authentication: turns what a client presents on connect (a JWT, or in dev mode a self-chosen
 * user) into a `Principal`, or fails with an `AuthError` (code UNAUTHENTICATED) that says why.
 *
 * Three modes, picked by the configuration the server passes in:
 * - `hs256`: tokens signed with a shared secret, verified with HS256 only;
 * - `jwks`: tokens signed by an identity provider whose public keys are fetched (and cached) from
 *   a JWKS URL, verified with RS256, ES256 or EdDSA only;
 * - `dev`: no secret at all; the client names itself. For local development only: anyone can be
 *   anyone, which is why the server must log it loudly (see `Authenticator.mode`).
 *
 * Pinning the algorithms per mode is what stops the classic JWT attacks: `alg: none`, and a token
 * "signed" with HS256 using a public RSA key as the secret (algorithm confusion).
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { AuthError } from './auth-error.js';
import { cleanName, makePrincipal, MAX_DEV_USER_ID_LENGTH, MAX_SUBJECT_LENGTH, userIdProblem, type Principal } from './principal.js';

/** Options shared by both JWT modes. */
export interface JwtCheckOptions {
  /** Accepted `iss` value(s); unchecked when omitted. */
  readonly issuer?: string | readonly string[];
  /** Accepted `aud` value(s); unchecked when omitted. */
  readonly audience?: string | readonly string[];
  /**
   * Refuse tokens without `exp` (default true): a token that never expires stays a valid key
   * forever once leaked. Turn off only for issuers that cannot set it.
   */
  readonly requireExpiry?: boolean;
}

export interface Hs256AuthConfig extends JwtCheckOptions {
  readonly mode: 'hs256';
  /** The shared secret, at least 32 bytes of UTF-8 (RFC 7518 §3.2: a key as long as the hash). */
  readonly secret: string;
}

export interface JwksAuthConfig extends JwtCheckOptions {
  readonly mode: 'jwks';
  /** Where the signing keys are published. HTTPS, except on a loopback host (tests, sidecars). */
  readonly url: string;
  /** Give up fetching the key set after this long (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Minimum time between refetches triggered by unknown `kid`s (default 30000 ms). */
  readonly cooldownMs?: number;
  /** Refetch the key set at least this often (default 600000 ms). */
  readonly cacheMaxAgeMs?: number;
}

export interface DevAuthConfig {
  readonly mode: 'dev';
}

export type AuthConfig = Hs256AuthConfig | JwksAuthConfig | DevAuthConfig;
export type AuthMode = AuthConfig['mode'];

/** What a dev-mode client says about itself (the `devUser` of the hello message). */
export interface DevUser {
  readonly id: string;
  readonly name?: string;
}

/** Seconds of clock skew tolerated on `exp` and `nbf` between the issuer and this server. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** Longer tokens are refused before any parsing: bounded work for unauthenticated input. */
export const MAX_TOKEN_LENGTH = 8192;
export const MIN_HS256_SECRET_BYTES = 32;
export const HS256_ALGORITHMS: readonly string[] = ['HS256'];
export const JWKS_ALGORITHMS: readonly string[] = ['RS256', 'ES256', 'EdDSA'];

type Verify = (token: string) => Promise<JWTPayload>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export class Authenticator {
  readonly mode: AuthMode;
  readonly #verify: Verify | undefined;

  constructor(config: AuthConfig) {
    this.mode = config.mode;
    switch (config.mode) {
      case 'hs256':
        this.#verify = hs256Verifier(config);
        break;
      case 'jwks':
        this.#verify = jwksVerifier(config);
        break;
      case 'dev':
        this.#verify = undefined;
        break;
      default:
        throw new TypeError(`unknown auth mode ${JSON.stringify((config as { mode?: unknown }).mode)}`);
    }
  }

  /**
   * Who the caller is. `token` is the JWT from the request or the hello message; `devUser` is
   * used only in dev mode, where a token is ignored because there is nothing to check it against.
   * Never resolves to a principal the configuration does not vouch for.
   */
  async authenticate(token: string | undefined, devUser?: DevUser): Promise<Principal> {
    if (this.#verify === undefined) return devPrincipal(devUser);
    if (token === undefined || token === '') {
      throw new AuthError('missing', 'no token: send a JWT in the Authorization header, the token query parameter or the hello message');
    }
    // The declared type is not a guarantee: the token may come straight out of parsed JSON.
    if (typeof token !== 'string') throw new AuthError('malformed', `token must be a string, got ${typeof token}`);
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new AuthError('malformed', `token is ${token.length} characters long; the limit is ${MAX_TOKEN_LENGTH}`);
    }
    const payload = await this.#verify(token);
    // Typed as a string by jose, but only the signature vouches for it: check it like any input.
    const sub = payload.sub;
    if (sub === undefined) throw new AuthError('claims', 'token has no "sub" claim');
    const problem = userIdProblem(sub, MAX_SUBJECT_LENGTH);
    if (problem !== undefined) throw new AuthError('claims', `token "sub" claim ${problem}`);
    return makePrincipal(sub, cleanName(payload['name']) ?? cleanName(payload['preferred_username']), false);
  }
}

function devPrincipal(devUser: DevUser | undefined): Principal {
  if (devUser === undefined || devUser === null || typeof devUser !== 'object') {
    throw new AuthError('dev_user', 'dev mode: name yourself with devUser { id, name? } in the hello message');
  }
  const problem = userIdProblem(devUser.id, MAX_DEV_USER_ID_LENGTH);
  if (problem !== undefined) throw new AuthError('dev_user', `dev mode: devUser.id ${problem}`);
  return makePrincipal(devUser.id, cleanName(devUser.name), true);
}

function claimOptions(config: JwtCheckOptions, algorithms: readonly string[]): JWTVerifyOptions {
  const options: JWTVerifyOptions = {
    algorithms: [...algorithms],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: config.requireExpiry === false ? [] : ['exp'],
  };
  if (config.issuer !== undefined) options.issuer = typeof config.issuer === 'string' ? config.issuer : [...config.issuer];
  if (config.audience !== undefined) options.audience = typeof config.audience === 'string' ? config.audience : [...config.audience];
  return options;
}

function hs256Verifier(config: Hs256AuthConfig): Verify {
  if (typeof config.secret !== 'string') throw new TypeError('auth secret must be a string');
  const key = new TextEncoder().encode(config.secret);
  // A short secret can be brute-forced offline from any one token; refuse to start with it.
  if (key.byteLength < MIN_HS256_SECRET_BYTES) {
    throw new TypeError(`auth secret must be at least ${MIN_HS256_SECRET_BYTES} bytes, got ${key.byteLength}`);
  }
  const options = claimOptions(config, HS256_ALGORITHMS);
  return async (token) => {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (e) {
      throw toAuthError(e, HS256_ALGORITHMS, false);
    }
  };
}

function jwksVerifier(config: JwksAuthConfig): Verify {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new TypeError(`JWKS URL ${JSON.stringify(config.url)} is not a valid URL`);
  }
  // Keys fetched over plain HTTP from another host could be swapped in transit, and whoever swaps
  // them can sign tokens for anyone. Loopback never leaves the machine.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new TypeError(`JWKS URL must use https (plain http only on localhost), got ${url.protocol}//${url.host}`);
  }
  const keys = createRemoteJWKSet(url, {
    timeoutDuration: config.timeoutMs ?? 5000,
    cooldownDuration: config.cooldownMs ?? 30_000,
    cacheMaxAge: config.cacheMaxAgeMs ?? 600_000,
  });
  const options = claimOptions(config, JWKS_ALGORITHMS);
  return async (token) => {
    try {
      return (await jwtVerify(token, keys, options)).payload;
    } catch (e) {
      throw toAuthError(e, JWKS_ALGORITHMS, true);
    }
  };
}

const CLAIM_MEANING: { readonly [claim: string]: string } = {
  iss: 'issuer',
  aud: 'audience',
  nbf: 'not-before time',
  iat: 'issued-at time',
  exp: 'expiry time',
};

/**
 * Rewrites jose's errors in our words: theirs may change between versions, ours are for users.
 * `remoteKeys` says whether a failure outside the token itself can be the key-set fetch.
 */
function toAuthError(e: unknown, algorithms: readonly string[], remoteKeys: boolean): AuthError {
  if (!(e instanceof errors.JOSEError)) {
    // jose wraps everything about the token; what is left is the key-set fetch (network errors
    // surface as a TypeError from fetch). Keep it as the cause for the server's log.
    if (remoteKeys) return new AuthError('keys_unavailable', 'could not fetch the signing keys to check the token', { cause: e });
    return new AuthError('malformed', 'token could not be checked', { cause: e });
  }
  if (e instanceof errors.JWTExpired) return new AuthError('expired', 'token has expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    const meaning = CLAIM_MEANING[e.claim] ?? 'claim';
    if (e.reason === 'missing') return new AuthError('claims', `token has no "${e.claim}" claim (${meaning}), which is required`);
    if (e.claim === 'nbf') return new AuthError('claims', 'token is not valid yet ("nbf" is in the future)');
    return new AuthError('claims', `token "${e.claim}" claim (${meaning}) is not the expected value`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) {
    return new AuthError('algorithm', `token algorithm is not accepted; this server accepts ${algorithms.join(', ')}`);
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return new AuthError('signature', 'token signature does not verify');
  if (e instanceof errors.JWKSNoMatchingKey) return new AuthError('signature', 'no published signing key matches the token');
  if (e instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError('signature', 'several published signing keys match the token; it needs a "kid" header');
  }
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return new AuthError('malformed', 'token is not a well-formed JWT');
  // JWKS timeouts, a non-200 or non-JSON key set, unusable keys in it.
  if (!remoteKeys) return new AuthError('malformed', 'token could not be checked', { cause: e });
  return new AuthError('keys_unavailable', 'could not obtain usable signing keys to check the token', { cause: e });
}
