// GGUF files read without holding them whole: a range source (a Blob, a File, Node's fs.openAsBlob, or a URL read
// by HTTP Range requests), its header parsed from a growing prefix, then each tensor's bytes when asked for.
import { GgufFileError, GgufHeaderIncomplete, parseGgufHeader, type GgufFile, type GgufHeader, type GgufTensor, type GgufTensorInfo } from './gguf.js';

/** A GGUF file read on demand (openGguf): the parsed header, and each tensor's bytes when asked for. */
export interface GgufReader {
  header: GgufHeader;
  /** Reads one tensor's bytes (a Blob slice: only those bytes are read). */
  tensor(name: string): Promise<GgufTensor>;
  /** Reads the bytes an info describes (a header's, or a view of part of one: llama_layout's fused tensors' parts). */
  read(info: GgufTensorInfo): Promise<GgufTensor>;
}

/** What openGguf reads from: a Blob (a browser File, Node's fs.openAsBlob) or httpRangeSource's view of a URL. */
export interface GgufSource {
  size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/**
 * A file served over HTTP(S) as a GgufSource: its size from a HEAD request (Content-Length), then each slice one
 * `Range: bytes=a-b` GET, so only the header and the tensors asked for travel. The server must honour Range (206);
 * one that answers 200 with the whole file, or no Content-Length, is refused by name. `init` adds headers (a token).
 */
export async function httpRangeSource(url: string, init: { headers?: Record<string, string> } = {}): Promise<GgufSource> {
  const head = await fetch(url, { method: 'HEAD', headers: init.headers });
  if (!head.ok) throw new GgufFileError(`${url}: HEAD answered ${head.status}`);
  const size = Number(head.headers.get('content-length'));
  if (!Number.isSafeInteger(size) || size <= 0) throw new GgufFileError(`${url}: no Content-Length in the HEAD answer: cannot read it by ranges`);
  return {
    size,
    slice(start: number, end: number) {
      return {
        async arrayBuffer() {
          const last = Math.min(end, size) - 1;
          if (last < start) return new ArrayBuffer(0);
          const r = await fetch(url, { headers: { ...init.headers, Range: `bytes=${start}-${last}` } });
          if (r.status !== 206) throw new GgufFileError(`${url}: a Range request (bytes ${start}-${last}) answered ${r.status}, not 206: the server does not serve ranges`);
          const b = await r.arrayBuffer();
          if (b.byteLength !== last - start + 1) throw new GgufFileError(`${url}: bytes ${start}-${last}: got ${b.byteLength} bytes`);
          return b;
        },
      };
    },
  };
}

/**
 * Opens a GGUF file without reading it whole: a browser File or fetched Blob, in Node `fs.openAsBlob(path)`, or a URL
 * through httpRangeSource. Reads the first `firstRead` bytes (1 MiB), more while the header runs past them (a
 * vocabulary can take megabytes), then each tensor's bytes only when asked for, so multi-gigabyte models load tensor
 * by tensor.
 */
export async function openGguf(blob: GgufSource, source = 'gguf', firstRead = 1 << 20): Promise<GgufReader> {
  let len = Math.min(blob.size, firstRead);
  let header: GgufHeader | null = null;
  while (!header) {
    const prefix = new Uint8Array(await blob.slice(0, len).arrayBuffer());
    try {
      header = parseGgufHeader(prefix, blob.size, source);
    } catch (e) {
      if (!(e instanceof GgufHeaderIncomplete) || len >= blob.size) throw e;
      len = Math.min(blob.size, Math.max(e.need, 2 * len));
    }
  }
  const h = header;
  const read = async (t: GgufTensorInfo): Promise<GgufTensor> => {
    const { bytes: n, ...info } = t;
    const data = new Uint8Array(await blob.slice(t.fileOffset, t.fileOffset + n).arrayBuffer());
    if (data.length !== n) throw new GgufFileError(`${source}: tensor '${t.name}': read ${data.length} of its ${n} bytes at file offset ${t.fileOffset} (the file changed?)`);
    return { ...info, data };
  };
  return {
    header: h,
    async tensor(name: string): Promise<GgufTensor> {
      const t = h.tensors.find((x) => x.name === name);
      if (!t) throw new GgufFileError(`${source}: tensor '${name}' is missing (the file has ${h.tensors.map((x) => x.name).join(', ') || 'no tensors'})`);
      return read(t);
    },
    read,
  };
}

/** The tensor named `name`, or an error listing the tensors the file has. */
export function ggufTensor(f: GgufFile, name: string, source = 'gguf'): GgufTensor {
  const t = f.tensors.find((x) => x.name === name);
  if (!t) throw new GgufFileError(`${source}: tensor '${name}' is missing (the file has ${f.tensors.map((x) => x.name).join(', ') || 'no tensors'})`);
  return t;
}
