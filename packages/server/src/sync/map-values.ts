/**
 * The server's own check on shared-map values in events, beyond what the sync core checks: no
 * unpaired UTF-16 surrogates, which the protocol refuses in what a server sends.
 */
import { TandemError } from '@tandem/core';
import type { Event, JsonValue } from '@tandem/core';

/**
 * Refuses map values with unpaired surrogates. The protocol refuses such strings in what servers
 * send (session_joined maps): stored, one would make the document impossible to join for every
 * plain OT client.
 */
export function checkMapValues(events: readonly Event[]): void {
  for (const e of events) {
    if (e.change.type === 'map_set' && hasLoneSurrogate(e.change.value)) {
      throw new TandemError('ERR_INVALID_EVENT', `map value of event ${JSON.stringify(e.id.agent)}:${e.id.seq} contains an unpaired UTF-16 surrogate`);
    }
  }
}

/** True when a string or key anywhere in the value has an unpaired UTF-16 surrogate. */
function hasLoneSurrogate(value: JsonValue): boolean {
  if (typeof value === 'string') return /\p{Cs}/u.test(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  return Object.entries(value).some(([k, v]) => /\p{Cs}/u.test(k) || hasLoneSurrogate(v));
}
