// Models fetched by URL, kept in the browser's storage (the origin private file system, OPFS) so that a reload reads
// them from disk instead of the network. Runs in the Generate worker: OPFS's synchronous access handles (writes at an
// offset) exist only in workers. The first load reads the file by HTTP ranges (header, then tensor by tensor); every
// range read is written at its offset as it arrives, so nothing is held in memory and nothing is fetched twice; after
// a successful load the few bytes never read (alignment padding between tensors) are fetched, and the file is listed
// in models.json. Only listed files are complete: a load that fails leaves nothing behind.
import type { GgufSource } from '../../src/io/gguf.js';
import type { StoredModel } from './generate-protocol.js';

const DIR = 'nibble-models';
const MANIFEST = 'models.json';

// OPFS's worker-only API (not in TypeScript's DOM library).
interface SyncHandle {
  write(data: Uint8Array, o: { at: number }): number;
  read(data: Uint8Array, o: { at: number }): number;
  getSize(): number;
  truncate(n: number): void;
  flush(): void;
  close(): void;
}
type FileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncHandle> };

interface Entry extends StoredModel {
  file: string;
}

/** The models folder, or null where this browser has no OPFS (storing is then skipped, loading still works). */
async function dir(): Promise<FileSystemDirectoryHandle | null> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (!storage?.getDirectory) return null;
  const root = await storage.getDirectory();
  return root.getDirectoryHandle(DIR, { create: true });
}

async function readManifest(d: FileSystemDirectoryHandle): Promise<Entry[]> {
  try {
    const f = await (await d.getFileHandle(MANIFEST)).getFile();
    return JSON.parse(await f.text()) as Entry[];
  } catch {
    return []; // no manifest yet (or an unreadable one: the files it named are treated as absent)
  }
}

async function writeManifest(d: FileSystemDirectoryHandle, entries: Entry[]): Promise<void> {
  const h = await ((await d.getFileHandle(MANIFEST, { create: true })) as FileHandle).createSyncAccessHandle();
  try {
    const bytes = new TextEncoder().encode(JSON.stringify(entries));
    h.truncate(0);
    h.write(bytes, { at: 0 });
    h.flush();
  } finally {
    h.close();
  }
}

async function fileName(url: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(url)));
  return `${[...hash].map((b) => b.toString(16).padStart(2, '0')).join('')}.gguf`;
}

/** The stored copy of `url` as a File (a Blob read lazily from disk), or null. */
export async function storedModel(url: string): Promise<File | null> {
  const d = await dir();
  if (!d) return null;
  const e = (await readManifest(d)).find((x) => x.url === url);
  if (!e) return null;
  try {
    const f = await (await d.getFileHandle(e.file)).getFile();
    return f.size === e.bytes ? f : null;
  } catch {
    return null;
  }
}

export async function listStored(): Promise<{ models: StoredModel[]; note?: string }> {
  const d = await dir();
  if (!d) return { models: [], note: 'this browser has no origin private file system: models fetched by URL are not kept' };
  return { models: (await readManifest(d)).map(({ url, bytes }) => ({ url, bytes })) };
}

export async function clearStored(): Promise<void> {
  const d = await dir();
  if (!d) return;
  const names: string[] = [];
  for await (const name of (d as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  for (const n of names) await d.removeEntry(n);
}

/** Merged [start, end) intervals, sorted. */
function merge(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export interface Recorder {
  /** Read through this: every slice is also written to the stored file at its offset. */
  source: GgufSource;
  /** After a successful load: fetches the bytes never read, then lists the file as stored. */
  commit(): Promise<void>;
  /** After a failed load: removes the partial file. */
  discard(): Promise<void>;
}

/** Wraps a URL's range source so that what is read is stored; null where the browser cannot store. */
export async function recordInto(url: string, src: GgufSource): Promise<Recorder | null> {
  const d = await dir();
  if (!d) return null;
  const name = await fileName(url);
  const h = await ((await d.getFileHandle(name, { create: true })) as FileHandle).createSyncAccessHandle();
  h.truncate(0);
  const seen: [number, number][] = [];
  let open = true;
  let failed: string | null = null; // a write refused (the storage quota, say): the load goes on, nothing is stored
  const close = () => {
    if (open) h.close();
    open = false;
  };
  const source: GgufSource = {
    size: src.size,
    slice(start, end) {
      return {
        async arrayBuffer() {
          const buf = await src.slice(start, end).arrayBuffer();
          if (open && buf.byteLength > 0) {
            try {
              h.write(new Uint8Array(buf), { at: start });
              seen.push([start, start + buf.byteLength]);
            } catch (e) {
              failed = (e as Error).message;
              close();
            }
          }
          return buf;
        },
      };
    },
  };
  return {
    source,
    async commit() {
      if (failed !== null) {
        await d.removeEntry(name).catch(() => {});
        throw new Error(`${url} was not stored: ${failed}`);
      }
      const gaps: [number, number][] = [];
      let at = 0;
      for (const [a, b] of merge(seen)) {
        if (a > at) gaps.push([at, a]);
        at = b;
      }
      if (at < src.size) gaps.push([at, src.size]);
      for (const [a, b] of gaps) h.write(new Uint8Array(await src.slice(a, b).arrayBuffer()), { at: a });
      if (h.getSize() !== src.size) throw new Error(`storing ${url}: wrote ${h.getSize()} bytes, the file has ${src.size}`);
      h.flush();
      close();
      const entries = (await readManifest(d)).filter((e) => e.url !== url);
      await writeManifest(d, [...entries, { url, bytes: src.size, file: name }]);
    },
    async discard() {
      close();
      await d.removeEntry(name).catch(() => {});
    },
  };
}
