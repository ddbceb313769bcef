/**
 * Reading a REST request's JSON body within the configured size limit. A body declared or found to
 * be too large is answered with 413 without reading (and buffering) the rest of it: the remaining
 * bytes are discarded and the connection is closed after the answer.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest, HttpError } from './http-error.js';

function tooLarge(size: string, maxBytes: number): HttpError {
  return new HttpError(413, 'BODY_TOO_LARGE', `request body of ${size} bytes is over the limit of ${maxBytes} bytes`, { maxBytes });
}

/** The raw body, or a 413 HttpError as soon as it passes `maxBytes`. */
function readBytes(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    // Left flowing with no listener, the rest of the body is read and dropped, never buffered.
    req.resume();
    return Promise.reject(tooLarge(declared, maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        reject(tooLarge(`more than ${maxBytes}`, maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * The parsed JSON body. An empty body is `undefined` when `optional`, else a 400. Bytes that are not
 * UTF-8 or text that is not JSON are a 400 naming the problem.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number, optional = false): Promise<unknown> {
  const bytes = await readBytes(req, maxBytes);
  if (bytes.length === 0) {
    if (optional) return undefined;
    throw badRequest('this request needs a JSON body');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
