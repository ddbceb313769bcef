/** The full URL of a share link: the document's page with the link token, on this origin. */
import { docUrl } from '../lib/router.js';

export function shareUrl(docId: string, token: string): string {
  return `${location.origin}${docUrl(docId, token)}`;
}
