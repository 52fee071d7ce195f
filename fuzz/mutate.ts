// The fuzzer's mutations. Semantic ones edit a file's description before it is written (lying counts and offsets,
// duplicated and missing keys, wrong value types, huge dims, NaN/Inf scales, zero-sized tensors); byte ones edit
// the written bytes (truncation at a structural boundary or anywhere, bit flips, interesting values over a
// recorded field or any byte).
import type { Field, GgufDesc, MetaValue, Written } from './gguf_seed.js';
import { VT } from './gguf_seed.js';
import type { Rng } from './rng.js';
import type { StDesc } from './st_seed.js';

/** Integers that break parsers: zero, all ones, lengths near 2^31 / 2^32 / 2^53 / 2^63, negative as signed. */
export const INTERESTING = [0n, 1n, 2n, 7n, 31n, 32n, 33n, 255n, 256n, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 32n];
/** Keys that are also names of Object.prototype's members. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
/** f16 bit patterns of +-Inf, NaNs, -0 and the largest / smallest values. */
const BAD_HALVES = [0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xffff, 0x8000, 0x7bff, 0x0001];

const pickBig = (r: Rng) => (r.chance(0.8) ? r.pick(INTERESTING) : BigInt(r.u32()) * BigInt(r.u32()));

/** One semantic mutation of a GGUF description; returns its name. */
export function mutateGgufDesc(r: Rng, d: GgufDesc): string {
  const t = d.tensors.length ? r.pick(d.tensors) : null;
  const kv = d.kvs.length ? r.pick(d.kvs) : null;
  switch (r.int(14)) {
    case 0: d.tensorCount = BigInt(d.tensors.length) + pickBig(r); return 'lying tensor_count';
    case 1: d.kvCount = r.chance(0.5) ? BigInt(d.kvs.length) + BigInt(r.range(-2, 2)) : pickBig(r); return 'lying metadata_kv_count';
    case 2: if (kv) d.kvs.push({ key: kv.key, v: kv.v }); return 'duplicated key';
    case 3: if (kv) d.kvs.splice(d.kvs.indexOf(kv), 1); return 'missing key';
    case 4: if (kv) kv.v = { type: r.chance(0.7) ? r.range(0, 13) : r.u32(), value: kv.v.value }; return 'wrong value type';
    case 5: {
      const al = d.kvs.find((x) => x.key === 'general.alignment');
      const v: MetaValue = r.pick([{ type: VT.u32, value: r.pick([0, 1, 3, 7, 12, 2 ** 31, 0xffffffff]) }, { type: VT.u64, value: 32n }, { type: VT.string, value: '32' }]);
      if (al) al.v = v;
      else d.kvs.push({ key: 'general.alignment', v });
      return 'bad alignment';
    }
    case 6: if (kv) kv.key = r.pick([...PROTO_KEYS, '', 'general.alignment', 'a'.repeat(70000)]); return 'odd key';
    case 7: {
      // An array whose count lies, or nested deep.
      const items = Array.from({ length: r.int(3) }, () => ({ type: VT.u32, value: 1 }));
      let v: MetaValue = { type: VT.array, value: { itemType: VT.u32, items, count: r.chance(0.5) ? pickBig(r) : undefined } };
      for (let i = r.int(12); i > 0; i--) v = { type: VT.array, value: { itemType: VT.array, items: [v] } };
      d.kvs.push({ key: 'fuzz.array', v });
      return 'lying or deep array';
    }
    case 8: if (t) t.offset = r.chance(0.5) ? pickBig(r) : t.offset + BigInt(r.pick([-32, -1, 1, 8, 32])); return 'lying tensor offset';
    case 9: if (t && d.tensors.length > 1) t.offset = r.pick(d.tensors).offset; return 'overlapping tensors';
    case 10: if (t) t.ne[r.int(t.ne.length)] = r.chance(0.3) ? 0n : pickBig(r); return 'zero or huge dim';
    case 11: if (t) t.ne = r.chance(0.5) ? [] : [...t.ne, 1n, 1n, 1n, 1n]; return 'bad n_dims';
    case 12: if (t) t.type = r.chance(0.5) ? r.range(0, 45) : r.u32(); return 'wrong tensor type';
    default: if (t) t.name = r.pick(['', ...PROTO_KEYS, 'x'.repeat(65), d.tensors[0].name]); return 'odd tensor name';
  }
}

/** NaN / Inf / extreme f16 in a block scale (d, m, dmin) of a written file, or f32 NaN / Inf in F32 data. */
export function badScale(r: Rng, w: Written): string {
  const scales = w.fields.filter((f) => f.kind === 'scale');
  if (!scales.length) return 'no scale to spoil';
  for (let n = r.range(1, 3); n > 0; n--) {
    const f = r.pick(scales);
    const h = r.pick(BAD_HALVES);
    w.bytes[f.at] = h & 255;
    w.bytes[f.at + 1] = h >> 8;
  }
  return 'NaN/Inf scale';
}

const entryValue = (r: Rng) =>
  r.pick(['null', '0', '-1', '1.5', '"F32"', '[]', '{}', '[1,2,3]', '"x"', 'true', '1e400', '18446744073709551616', '9007199254740993', '[[1]]', '{"__proto__":{}}']);

/** One semantic mutation of a safetensors description (also the model file's, whose metadata it may edit). */
export function mutateStDesc(r: Rng, d: StDesc): string {
  const tensors = d.entries.filter((e) => e.key !== '__metadata__');
  const e = tensors.length ? r.pick(tensors) : null;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const parsed = e ? (JSON.parse(e.json) as unknown) : null;
  const obj = isObj(parsed) ? parsed : null;
  const set = (k: string, v: unknown) => {
    obj![k] = v;
    e!.json = JSON.stringify(obj);
  };
  const meta = d.entries.find((x) => x.key === '__metadata__');
  switch (r.int(13)) {
    case 0: d.headerLength = pickBig(r); return 'lying header length';
    case 1: if (e) d.entries.push({ key: e.key, json: e.json }); return 'duplicated key';
    case 2: if (d.entries.length) d.entries.splice(r.int(d.entries.length), 1); return 'missing entry';
    case 3: if (obj) delete obj[r.pick(['dtype', 'shape', 'data_offsets'])], (e!.json = JSON.stringify(obj)); return 'missing field';
    case 4: if (obj) e!.json = e!.json.replace(/"(dtype|shape|data_offsets)":("[^"]*"|\[[^\]]*\])/, (_, k) => `"${k}":${entryValue(r)}`); return 'wrong field type';
    case 5: if (obj) set('data_offsets', [Number(pickBig(r)), Number(pickBig(r))].sort((a, b) => a - b)); return 'lying data_offsets';
    case 6: if (obj && tensors.length > 1) set('data_offsets', (JSON.parse(r.pick(tensors).json) as { data_offsets?: unknown } | null)?.data_offsets); return 'overlapping tensors';
    case 7: if (obj) set('shape', r.chance(0.5) ? [0] : [Number(pickBig(r)), r.int(3)]); return 'zero or huge shape';
    case 8: if (e) e.key = r.pick([...PROTO_KEYS, '', '__metadata__']); return 'odd tensor name';
    case 9: if (e) e.json = entryValue(r); return 'entry not an object';
    case 10: {
      // The model file's metadata: a field replaced by odd JSON text or values.
      const m = meta ? (JSON.parse(meta.json) as unknown) : null;
      if (!meta || !isObj(m)) return 'no metadata';
      const k = r.pick(['format', 'sizes', 'layers', 'activation', '__proto__', 'toString']);
      m[k] = r.chance(0.5) ? entryValue(r) : mutateJsonText(r, String(m[k] ?? ''));
      meta.json = JSON.stringify(m);
      return `metadata '${k}'`;
    }
    case 11: if (meta) meta.json = entryValue(r); return 'metadata not an object of strings';
    default: {
      // A tensor's dtype / shape changed with its bytes kept: valid safetensors, wrong for the model.
      if (obj) set('dtype', r.pick(['F32', 'F16', 'I32', 'U8', 'I8', 'BF16', 'F64', 'f32']));
      return 'other dtype';
    }
  }
}

/**
 * The model file's metadata JSON (sizes, layers) with one element or field replaced: by the same value as a string,
 * null, a negative, a fraction, zero, a huge number, or another shape, so decodeModel's checks meet every type.
 */
export function mutateModelMeta(r: Rng, d: StDesc, keys: readonly string[] = ['sizes', 'layers']): string {
  const meta = d.entries.find((x) => x.key === '__metadata__');
  if (!meta) return 'no metadata';
  const m = JSON.parse(meta.json) as Record<string, string>;
  const k = r.pick([...keys]);
  let v: unknown;
  try {
    v = JSON.parse(m[k]);
  } catch {
    return 'metadata not JSON';
  }
  // Walk down to a random element or field, then replace it.
  const path: (string | number)[] = [];
  let cur = v;
  while (typeof cur === 'object' && cur !== null && r.chance(0.7)) {
    const keys = Array.isArray(cur) ? cur.map((_, i) => i) : Object.keys(cur);
    if (!keys.length) break;
    const key = r.pick(keys as (string | number)[]);
    path.push(key);
    cur = (cur as Record<string | number, unknown>)[key];
  }
  const x = typeof cur === 'number' ? cur : 4;
  const repl = r.pick<unknown>([String(cur), null, -x, x + 0.5, 0, 1e308, 2 ** 31, {}, [], true, x * 2, x / 2, { bits: 4 }, [x, x]]);
  if (!path.length) v = repl;
  else {
    let o = v as Record<string | number, unknown>;
    for (const p of path.slice(0, -1)) o = o[p] as Record<string | number, unknown>;
    o[path[path.length - 1]] = repl;
  }
  m[k] = JSON.stringify(v);
  meta.json = JSON.stringify(m);
  return `metadata '${k}' ${path.join('.')} = ${JSON.stringify(repl)}`;
}

/** A JSON text with one number or element changed (the model's sizes / layers). */
export function mutateJsonText(r: Rng, s: string): string {
  const nums = [...s.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?|null|true|false/g)];
  if (!nums.length || r.chance(0.1)) return r.pick(['', '[', '[]', '{}', '[1]', '[null]', '[{"bits":4}]', s + s]);
  const m = r.pick(nums);
  const v = r.pick(['0', '-1', '0.5', '1e308', 'null', '"4"', '[]', '{}', '3', '9', '2147483648', '1e-320', '-0', String(Number(m[0]) * 2)]);
  return s.slice(0, m.index) + v + s.slice(m.index! + m[0].length);
}

/** One byte-level mutation of a written file; returns its name. */
export function mutateBytes(r: Rng, w: Written): string {
  const b = w.bytes;
  const fieldsOf = (k: Field['kind'][]) => w.fields.filter((f) => k.includes(f.kind));
  switch (r.int(7)) {
    case 0: {
      const at = w.boundaries.length ? r.pick(w.boundaries) + r.pick([0, 0, 0, -1, 1]) : 0;
      w.bytes = b.slice(0, Math.max(0, Math.min(b.length, at)));
      return 'truncated at a boundary';
    }
    case 1: w.bytes = b.slice(0, r.int(b.length + 1)); return 'truncated';
    case 2: for (let n = r.range(1, 8); n > 0 && b.length; n--) b[r.int(b.length)] ^= 1 << r.int(8); return 'bit flips';
    case 3: for (let n = r.range(1, 4); n > 0 && b.length; n--) b[r.int(b.length)] = r.pick([0, 0xff, 0x7f, 0x80, 0x01, 0x20]); return 'interesting bytes';
    case 4: case 5: {
      // An interesting integer over a count, length, offset, dim or type field (or any field).
      const fs = fieldsOf(r.chance(0.8) ? ['count', 'length', 'offset', 'dim', 'type'] : ['value', 'version', 'magic']);
      if (!fs.length) return 'no field';
      const f = r.pick(fs);
      const v = pickBig(r);
      for (let i = 0; i < f.size && f.at + i < b.length; i++) b[f.at + i] = Number((v >> BigInt(8 * i)) & 255n);
      return `interesting ${f.kind}`;
    }
    default: {
      // A chunk duplicated or removed (shifts everything after it).
      if (b.length < 2) return 'too short to splice';
      const s = r.int(b.length);
      const n = r.range(1, Math.min(64, b.length - s));
      const [head, tail] = r.chance(0.5) ? [b.subarray(0, s + n), b.subarray(s)] : [b.subarray(0, s), b.subarray(s + n)];
      w.bytes = new Uint8Array(head.length + tail.length);
      w.bytes.set(head);
      w.bytes.set(tail, head.length);
      return 'chunk duplicated or removed';
    }
  }
}
