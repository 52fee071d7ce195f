// How a Llama-family model's tensors lie in a GGUF file where that differs from the names the one definition reads
// (llamaTensorNames). phi3 (llama.cpp's converter keeps Hugging Face's fused projections) stores
//   blk.N.attn_qkv.weight  [q + 2 kv, dim]   rows: q's, then k's, then v's   (llama.cpp views them so)
//   blk.N.ffn_up.weight    [2 ffn, dim]      rows: the gate's, then up's     (LLM_FFN_SWIGLU: silu(first half) * second)
// glm4 the same ffn_up (its q / k / v apart), and phi2 files converted from Phi-2's first checkpoints (fusedQkv)
//   blk.N.attn_qkv.weight  [q + 2 kv, dim] and blk.N.attn_qkv.bias [q + 2 kv]   (the bias's parts: runs of f32s).
// seed_oss, glm4moe and gpt-oss name their FFN norm blk.N.post_attention_norm.weight: a "fused" tensor of one part, the
// definition's ffn_norm; falcon-h1 names it blk.N.ffn_norm, without the suffix (as llama.cpp's falcon-h1 loader looks
// it up: a file with blk.N.ffn_norm.weight is refused there). glm4moe's multi-token-prediction layers (blocks from
// c.layers on) are dropped on reading.
// qwen35 stores each attention head's query and output gate in one tensor, the heads' halves interleaved
//   blk.N.attn_q.weight    [2 heads headDim, dim]   rows: head 0's q, head 0's gate, head 1's q, ...  (`interleave`)
// and names its FFN norm blk.N.post_attention_norm.weight (as seed_oss does); qwen3next too, and it fuses each Gated
// DeltaNet layer's beta and alpha projections, a key head's value heads at a time (r = vHeads / kHeads)
//   blk.N.ssm_ba.weight    [2 vHeads, dim]          rows: r beta rows, r alpha rows, r beta rows, ...  (`interleave`)
// A fused tensor's parts are runs of whole rows, and a GGUF row is contiguous (every block type packs along K), so
// each part is a view of the file's bytes: a byte range of the tensor, read or copied as it is; an interleaved part
// is its runs gathered (a copy; from a header alone, `gather` says which rows of the whole tensor to read).
import { ggufTensorBytes, type GgufTensor, type GgufTensorIn } from '../io/gguf.js';
import { llamaTensorNames, type LlamaConfig } from './llama_config.js';

/** A tensor of the file that holds several of the definition's, row after row. */
export interface FusedTensor {
  name: string;
  parts: { name: string; rows: number }[];
  /** The parts alternate in runs of this many rows (qwen35's q / gate halves of each head) rather than one after another. */
  interleave?: number;
}

/** The fused tensors of c's file layout (phi3's two a layer, glm4's one, chatglm's two or three, a fused phi2's two; none for the other architectures). */
export function fusedTensors(c: LlamaConfig): FusedTensor[] {
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const qkv = (l: number, t: 'weight' | 'bias'): FusedTensor => ({ name: `blk.${l}.attn_qkv.${t}`, parts: (['attn_q', 'attn_k', 'attn_v'] as const).map((n, i) => ({ name: `blk.${l}.${n}.${t}`, rows: i === 0 ? q : kv })) });
  // (chatglm: its ffn_up holds the gate's rows and up's, as glm4's and phi3's)
  const gateUp = (l: number): FusedTensor => ({ name: `blk.${l}.ffn_up.weight`, parts: [{ name: `blk.${l}.ffn_gate.weight`, rows: c.ffn }, { name: `blk.${l}.ffn_up.weight`, rows: c.ffn }] });
  // (dbrx: its FFN norm named attn_output_norm, a "fused" tensor of one part)
  const dbrxNorm = (l: number): FusedTensor[] => (c.arch === 'dbrx' ? [{ name: `blk.${l}.attn_output_norm.weight`, parts: [{ name: `blk.${l}.ffn_norm.weight`, rows: c.dim }] }] : []);
  if (c.fusedQkv) return Array.from({ length: c.layers }, (_, l) => [qkv(l, 'weight'), ...(c.qkvBias ? [qkv(l, 'bias')] : []), ...(c.arch === 'chatglm' ? [gateUp(l)] : []), ...dbrxNorm(l)]).flat();
  if (c.arch === 'seed_oss' || c.arch === 'glm4moe' || c.arch === 'gpt-oss') return Array.from({ length: c.layers }, (_, l) => ({ name: `blk.${l}.post_attention_norm.weight`, parts: [{ name: `blk.${l}.ffn_norm.weight`, rows: c.dim }] }));
  if (c.arch === 'qwen35' || c.arch === 'qwen35moe' || c.arch === 'qwen3next') {
    const d = c.deltaNet!;
    // qwen3next: ssm_ba [2 vHeads, dim] holds each key head's value heads' beta rows, then their alpha rows
    const ba = (l: number): FusedTensor[] => (c.arch === 'qwen3next' ? [{ name: `blk.${l}.ssm_ba.weight`, parts: [{ name: `blk.${l}.ssm_beta.weight`, rows: d.vHeads }, { name: `blk.${l}.ssm_alpha.weight`, rows: d.vHeads }], interleave: d.vHeads / d.kHeads }] : []);
    return Array.from({ length: c.layers }, (_, l): FusedTensor[] => [
      ...(d.layers[l] ? ba(l) : [{ name: `blk.${l}.attn_q.weight`, parts: [{ name: `blk.${l}.attn_q.weight`, rows: q }, { name: `blk.${l}.attn_q_gate.weight`, rows: q }], interleave: c.headDim }]),
      { name: `blk.${l}.post_attention_norm.weight`, parts: [{ name: `blk.${l}.ffn_norm.weight`, rows: c.dim }] },
    ]).flat();
  }
  if (c.arch === 'falcon-h1') return Array.from({ length: c.layers }, (_, l) => ({ name: `blk.${l}.ffn_norm`, parts: [{ name: `blk.${l}.ffn_norm.weight`, rows: c.dim }] }));
  if (c.arch === 'glm4') return Array.from({ length: c.layers }, (_, l) => gateUp(l));
  if (c.arch !== 'phi3') return [];
  return Array.from({ length: c.layers }, (_, l) => [qkv(l, 'weight'), gateUp(l)]).flat();
}

/**
 * The definition's tensors (in order) as the file orders them: a fused tensor (`fuse` of it and its first part) in the
 * place of its first part, its other parts dropped, every other tensor as it is.
 */
function toFileOrder<T extends { name: string }>(c: LlamaConfig, tensors: readonly T[], fuse: (f: FusedTensor, first: T) => T): T[] {
  const fused = fusedTensors(c);
  if (fused.length === 0) return [...tensors];
  const first = new Map(fused.map((f) => [f.parts[0].name, f]));
  const inFused = new Set(fused.flatMap((f) => f.parts.map((p) => p.name)));
  const out: T[] = [];
  for (const t of tensors) {
    const f = first.get(t.name);
    if (f) out.push(fuse(f, t));
    else if (!inFused.has(t.name)) out.push(t);
  }
  return out;
}

const fusedRows = (f: FusedTensor) => f.parts.reduce((s, p) => s + p.rows, 0);

/** Every tensor of c as a GGUF file holds it: llamaTensorNames with the fused tensors in the place of their first part. */
export function ggufTensorLayout(c: LlamaConfig): { name: string; shape: number[] }[] {
  return toFileOrder(c, llamaTensorNames(c), (f, t) => ({ name: f.name, shape: [fusedRows(f), ...t.shape.slice(1)] }));
}

/** A tensor of glm4moe's, qwen35's, qwen35moe's, deepseek2's or bailingmoe2's multi-token-prediction layers (blk.N with N at or past c.layers: nextn_predict_layers). */
export const isNextnTensor = (c: LlamaConfig, name: string): boolean => (c.arch === 'glm4moe' || c.arch === 'qwen35' || c.arch === 'qwen35moe' || c.arch === 'qwen3next' || c.arch === 'deepseek2' || c.arch === 'bailingmoe2') && Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? -1) >= c.layers;

/**
 * A tensor as a header (GgufTensorInfo: bytes) or a parsed file (GgufTensor: data) describes it; a part is the same
 * record narrowed, and an interleaved part read from a header carries `gather` (gatherRows reads it).
 */
type StoredTensor = Omit<GgufTensor, 'data'> & { bytes?: number; data?: Uint8Array; gather?: RowGather };

/** An interleaved part's rows in the whole fused tensor `from`: runs of `run` rows, every `stride` rows from `first`. */
export interface RowGather {
  from: Omit<GgufTensor, 'data'> & { bytes?: number };
  first: number;
  run: number;
  stride: number;
  rows: number;
  rowBytes: number;
}

/** An interleaved part's bytes from its fused tensor's. */
export function gatherRows(whole: Uint8Array, g: RowGather): Uint8Array {
  const out = new Uint8Array(g.rows * g.rowBytes);
  for (let r = 0; r < g.rows; r += g.run) {
    const src = (g.first + (r / g.run) * g.stride) * g.rowBytes;
    out.set(whole.subarray(src, src + g.run * g.rowBytes), r * g.rowBytes);
  }
  return out;
}

/**
 * The file's tensors (a header's infos or a parsed file's tensors: checked by llamaConfigFromGguf) as the definition
 * names them: each fused tensor replaced by its parts, each a view of its rows (offsets moved, data a subarray).
 */
export function splitFusedTensors<T extends StoredTensor>(c: LlamaConfig, tensors: readonly T[]): (T & { gather?: RowGather })[] {
  const fused = new Map(fusedTensors(c).map((f) => [f.name, f]));
  if (fused.size === 0) return [...tensors];
  const out: (T & { gather?: RowGather })[] = [];
  for (const t of tensors) {
    if (isNextnTensor(c, t.name)) continue; // (loaded by llama.cpp, never run: not read)
    const f = fused.get(t.name);
    if (!f) {
      out.push(t);
      continue;
    }
    const K = t.shape[1] ?? 1; // a bias (1D): rows of one element
    const rowBytes = ggufTensorBytes(t.type, [1, K], t.name);
    if (f.interleave) {
      const run = f.interleave;
      const stride = run * f.parts.length;
      f.parts.forEach((p, i) => {
        const [shape, ne] = t.shape.length === 1 ? [[p.rows], [p.rows]] : [[p.rows, K], [K, p.rows]];
        const g: RowGather = { from: t, first: i * run, run, stride, rows: p.rows, rowBytes };
        const part: T & { gather?: RowGather } = { ...t, name: p.name, shape, ne };
        if (t.bytes !== undefined) part.bytes = p.rows * rowBytes;
        if (t.data !== undefined) part.data = gatherRows(t.data, g);
        else part.gather = g;
        out.push(part);
      });
      continue;
    }
    let row = 0;
    for (const p of f.parts) {
      const at = row * rowBytes;
      const n = p.rows * rowBytes;
      const [shape, ne] = t.shape.length === 1 ? [[p.rows], [p.rows]] : [[p.rows, K], [K, p.rows]];
      const part = { ...t, name: p.name, shape, ne, offset: t.offset + at, fileOffset: t.fileOffset + at };
      if (t.bytes !== undefined) part.bytes = n;
      if (t.data !== undefined) part.data = t.data.subarray(at, at + n);
      out.push(part);
      row += p.rows;
    }
  }
  return out;
}

function bytesOf(t: GgufTensorIn): Uint8Array {
  return t.data instanceof Float32Array ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : t.data;
}

/**
 * The definition's tensors (in llamaTensorNames' order) laid out as c's file holds them, for a writer: each fused
 * tensor's parts concatenated row after row, in the place of its first part. The parts must share a type.
 */
export function fuseTensors(c: LlamaConfig, tensors: readonly GgufTensorIn[]): GgufTensorIn[] {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return toFileOrder(c, tensors, (f, t) => {
    const named = f.parts.map((p) => {
      const pt = byName.get(p.name);
      if (!pt) throw new Error(`gguf layout: tensor '${p.name}' (part of '${f.name}') is missing`);
      if (pt.type !== t.type) throw new Error(`gguf layout: '${f.name}' fuses tensors of one type: '${t.name}' is ${t.type}, '${p.name}' ${pt.type}`);
      if (pt.shape.length !== t.shape.length || pt.shape[0] !== p.rows || pt.shape[1] !== t.shape[1]) throw new Error(`gguf layout: tensor '${p.name}' has shape [${pt.shape.join(', ')}], expected [${[p.rows, ...t.shape.slice(1)].join(', ')}]`);
      return bytesOf(pt);
    });
    const data = new Uint8Array(named.reduce((s, b) => s + b.length, 0));
    // one part after another (a single run each), or (interleave) a run of `interleave` rows of each part in turn
    const runs = f.interleave ? f.parts[0].rows / f.interleave : 1;
    let at = 0;
    for (let r = 0; r < runs; r++) {
      for (const b of named) {
        const run = b.length / runs;
        data.set(b.subarray(r * run, (r + 1) * run), at);
        at += run;
      }
    }
    return { name: f.name, type: t.type, shape: [fusedRows(f), ...t.shape.slice(1)], data };
  });
}
