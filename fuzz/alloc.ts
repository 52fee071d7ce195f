// Allocation accounting for the fuzzer: every ArrayBuffer and typed array made from a length (new, .from, .of,
// slice) is counted while an input runs, and a single request above `limit` bytes is refused before it is made
// (AllocationLimit), so a lying header cannot make the fuzzer itself allocate gigabytes: it becomes a finding.
// The constructors are swapped for Proxies of themselves: instanceof, prototypes and statics behave as before.

export class AllocationLimit extends Error {
  override name = 'AllocationLimit';
}

export interface AllocStats {
  /** The largest single allocation requested, and the sum of all, in bytes. */
  largest: number;
  total: number;
}

const TYPED = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'] as const;

let stats: AllocStats = { largest: 0, total: 0 };
let limit = Infinity;
let installed = false;

function note(bytes: number): void {
  if (!(bytes > 0)) return;
  if (bytes > limit) throw new AllocationLimit(`allocation of ${bytes} bytes (limit ${limit})`);
  stats.largest = Math.max(stats.largest, bytes);
  stats.total += bytes;
}

/** Bytes a typed-array constructor call with `args` allocates (0 for a view of an existing buffer). */
function requested(bpe: number, args: unknown[]): number {
  const a = args[0];
  if (typeof a === 'number') return a * bpe;
  if (a === undefined || a === null || a instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && a instanceof SharedArrayBuffer)) return 0;
  const len = (a as { length?: unknown }).length;
  return typeof len === 'number' ? len * bpe : 0;
}

/** Swaps in the counting constructors (once per process). */
export function installAllocTracker(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as Record<string, unknown>;
  const AB = ArrayBuffer;
  g.ArrayBuffer = new Proxy(AB, {
    construct(t, args, nt) {
      note(Number(args[0] ?? 0));
      return Reflect.construct(t, args, nt);
    },
  });
  const abSlice = AB.prototype.slice;
  AB.prototype.slice = function (this: ArrayBuffer, start?: number, end?: number) {
    const n = this.byteLength;
    const s = start === undefined ? 0 : start < 0 ? Math.max(n + start, 0) : Math.min(start, n);
    const e = end === undefined ? n : end < 0 ? Math.max(n + end, 0) : Math.min(end, n);
    note(Math.max(e - s, 0));
    return abSlice.call(this, start, end);
  };
  for (const name of TYPED) {
    const C = g[name] as { BYTES_PER_ELEMENT: number; prototype: { slice: (s?: number, e?: number) => { byteLength: number } } } & (new (...a: unknown[]) => unknown);
    const bpe = C.BYTES_PER_ELEMENT;
    g[name] = new Proxy(C, {
      construct(t, args, nt) {
        note(requested(bpe, args));
        return Reflect.construct(t, args, nt);
      },
    });
  }
  // .from / .of go through the (proxied) constructor; slice, map and filter make their copies from the original
  // constructor, so they are counted here.
  const TA = Object.getPrototypeOf(Int8Array.prototype) as { slice: (...a: number[]) => { byteLength: number }; map: (...a: unknown[]) => { byteLength: number } };
  const taSlice = TA.slice;
  TA.slice = function (this: { length: number; BYTES_PER_ELEMENT: number }, ...a: number[]) {
    const n = this.length;
    const s = a[0] === undefined ? 0 : a[0] < 0 ? Math.max(n + a[0], 0) : Math.min(a[0], n);
    const e = a[1] === undefined ? n : a[1] < 0 ? Math.max(n + a[1], 0) : Math.min(a[1], n);
    note(Math.max(e - s, 0) * this.BYTES_PER_ELEMENT);
    return taSlice.apply(this, a);
  };
  const taMap = TA.map;
  TA.map = function (this: { length: number; BYTES_PER_ELEMENT: number }, ...a: unknown[]) {
    note(this.length * this.BYTES_PER_ELEMENT);
    return taMap.apply(this, a);
  };
}

/** Starts counting for one input; requests above `maxBytes` throw AllocationLimit. */
export function beginAlloc(maxBytes: number): void {
  stats = { largest: 0, total: 0 };
  limit = maxBytes;
}

/** Stops counting and returns what this input allocated. */
export function endAlloc(): AllocStats {
  limit = Infinity;
  const s = stats;
  stats = { largest: 0, total: 0 };
  return s;
}
