// The page's side of parse.worker.ts: the main thread never parses a visitor's bytes. It checks a file's size
// against the cap the page states, hands the File (or URL) to a fresh worker, and waits for a summary or a message;
// a worker that fails or runs past PARSE_TIMEOUT_MS is terminated and the file refused.
import type { GgufSummary, ParseReply, ParseRequest } from './parse-protocol.js';
import { MODEL_FILE_CAP, PARSE_TIMEOUT_MS, mib } from './parse-protocol.js';
import type { QuantizedMlp } from '../../src/mlp/qat.js';

/** A visitor file the page refused: `kind` is the parser's error class (SafetensorsError, GgufFileError, ...). */
export class FileRefused extends Error {
  constructor(
    message: string,
    readonly kind: string,
  ) {
    super(message);
    this.name = 'FileRefused';
  }
}

function inWorker(req: ParseRequest): Promise<ParseReply & { ok: true }> {
  const worker = new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<ParseReply & { ok: true }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new FileRefused(`${req.name}: parsing took over ${PARSE_TIMEOUT_MS / 1000} s and was stopped`, 'Timeout')), PARSE_TIMEOUT_MS);
    worker.onmessage = (ev: MessageEvent<ParseReply>) => {
      clearTimeout(timer);
      const m = ev.data;
      if (m.ok) resolve(m);
      else reject(new FileRefused(m.error, m.errorName));
    };
    worker.onerror = (ev) => {
      clearTimeout(timer);
      ev.preventDefault();
      reject(new FileRefused(`${req.name}: the parsing worker failed (${ev.message || 'it could not start, or ran out of memory'})`, 'WorkerError'));
    };
    worker.postMessage(req);
  }).finally(() => worker.terminate());
}

/** A nibble-mlp model file, decoded and checked against the digits' shape in a worker. */
export async function parseModelFile(file: Blob, name: string, inputs: number, classes: number): Promise<QuantizedMlp> {
  if (file.size > MODEL_FILE_CAP) throw new FileRefused(`${name}: ${mib(file.size)} is over the ${mib(MODEL_FILE_CAP)} this page reads for a model file`, 'FileTooLarge');
  const r = await inWorker({ kind: 'model', file, name, inputs, classes });
  if (r.kind !== 'model') throw new Error('parse worker: answered a model request with a GGUF summary');
  return r.model;
}

/** A GGUF file's header (from a Blob, or an absolute URL read by ranges), parsed in a worker. */
export async function parseGgufHeaderIn(file: Blob | string, name: string): Promise<GgufSummary> {
  const r = await inWorker({ kind: 'gguf', file, name });
  if (r.kind !== 'gguf') throw new Error('parse worker: answered a GGUF request with a model');
  return r.gguf;
}
