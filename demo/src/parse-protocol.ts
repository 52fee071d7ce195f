// Messages between the page and parse.worker.ts, which parses the files a visitor opens (Run: a nibble-mlp
// .safetensors model; GGUF: a .gguf header) with the library's bounded parsers, off the main thread.
import type { GgufSource, GgufTensorInfo } from '../../src/io/gguf.js';
import type { QuantizedMlp } from '../../src/mlp/qat.js';

const MiB = 2 ** 20;
/** Run tab: model files larger than this are refused before a byte is read (the bundled ones are ~20 KiB). */
export const MODEL_FILE_CAP = 64 * MiB;
/** GGUF tab: the most header bytes read (a 150k-token vocabulary takes a few MiB); tensors are read lazily. */
export const GGUF_HEADER_CAP = 64 * MiB;
/** A parse that has not answered by then is stopped (its worker terminated) and refused. */
export const PARSE_TIMEOUT_MS = 15_000;

export const mib = (n: number) => `${+(n / MiB).toFixed(1)} MiB`;

export class FileTooLarge extends Error {
  override name = 'FileTooLarge';
}

/**
 * `src` with every read capped at GGUF_HEADER_CAP: for openGguf's header pass (the GGUF and Generate tabs), where a
 * longer read can only mean a header past the cap. Tensors are read from the uncapped source afterwards.
 */
export function capHeaderReads(src: GgufSource, name: string): GgufSource {
  return {
    size: src.size,
    slice(start, end) {
      if (end - start > GGUF_HEADER_CAP) throw new FileTooLarge(`${name}: the GGUF header runs past its first ${mib(GGUF_HEADER_CAP)} (it asks for ${end - start} bytes): this page reads GGUF headers up to ${mib(GGUF_HEADER_CAP)}`);
      return src.slice(start, end);
    },
  };
}

export type ParseRequest =
  | { kind: 'model'; file: Blob; name: string; inputs: number; classes: number }
  /** `file` is a Blob, or an absolute URL read by HTTP ranges (httpRangeSource). */
  | { kind: 'gguf'; file: Blob | string; name: string };

/** What the GGUF tab shows: the header without its metadata values (a vocabulary would be megabytes to clone). */
export interface GgufSummary {
  version: number;
  fileSize: number;
  metadataKeys: number;
  architecture: string | null;
  modelName: string | null;
  tensors: GgufTensorInfo[];
}

export type ParseReply =
  | { ok: true; kind: 'model'; model: QuantizedMlp }
  | { ok: true; kind: 'gguf'; gguf: GgufSummary }
  /** `error` is the parser's message (it names the file, key or tensor and offset); `errorName` its class. */
  | { ok: false; error: string; errorName: string };
