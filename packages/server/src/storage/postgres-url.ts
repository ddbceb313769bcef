/**
 * Defaults of PostgreSQL connection URLs: the user name psql would use when a URL names none.
 */
import { userInfo } from 'node:os';

/**
 * The URL with the operating-system user filled in when it names none, as psql and libpq do.
 * node-postgres falls back to $USER instead, which is often unset (containers, services), and
 * would then connect with no user name at all.
 */
export function withDefaultPostgresUser(url: string): string {
  if (process.env['PGUSER'] !== undefined && process.env['PGUSER'] !== '') return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // not a URL the WHATWG parser takes: let pg interpret it unchanged
  }
  if (parsed.username !== '' || parsed.hostname === '') return url;
  let osUser: string;
  try {
    osUser = userInfo().username;
  } catch {
    return url; // no passwd entry for this uid: nothing better to offer than pg's own default
  }
  parsed.username = encodeURIComponent(osUser);
  return parsed.toString();
}
