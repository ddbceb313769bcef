/**
 * Runs a callback after the network input already waiting has been handled: `setImmediate` in
 * Node (after the current I/O phase), a zero timeout elsewhere. Used to gather a burst of messages
 * into one batch without a noticeable delay.
 */
export function soon(fn: () => void): void {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') immediate(fn);
  else setTimeout(fn, 0);
}
