/**
 * Progress messages of a benchmark run, written to stderr (stdout is kept for the results table).
 */

export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}
