/**
 * The color a user appears in (cursor, avatar ring, name tag): derived from the user id alone, so
 * every server process, every restart and every client shows the same person in the same color
 * without storing anything.
 */

/**
 * Twelve hues that stay readable both ways: each has a contrast ratio of at least 4.5:1 (WCAG AA)
 * against white, so white text on the color and the color as text on a white page both work.
 * Order matters once published (it decides who gets which color): append, never reorder.
 */
export const USER_COLORS = [
  '#D32F2F', // red
  '#C2185B', // pink
  '#7B1FA2', // purple
  '#512DA8', // deep purple
  '#303F9F', // indigo
  '#1976D2', // blue
  '#0277BD', // light blue
  '#00838F', // cyan
  '#00796B', // teal
  '#2E7D32', // green
  '#BF360C', // deep orange
  '#6D4C41', // brown
] as const;

export type UserColor = (typeof USER_COLORS)[number];

/**
 * FNV-1a (32-bit) over the id's UTF-16 code units: tiny, fast, and spreads similar ids ("user1",
 * "user2") across the palette. Not a security measure: colors are public anyway.
 */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The stable color of a user id (a `#RRGGBB` hex string). */
export function colorForUser(userId: string): UserColor {
  // The index is always in range; the fallback only satisfies noUncheckedIndexedAccess.
  return USER_COLORS[fnv1a(userId) % USER_COLORS.length] ?? USER_COLORS[0];
}
