// What the fuzzer runs each input through: every parser of outside bytes, used the way nibble uses it (parse, then
// decode every tensor), plus invariants on what is accepted. Each target throws what the parser threw.
import { writeFileSync } from 'node:fs';
import { openGguf, parseGgufFile, parseGgufHeader, GgufFileError, ggufTensor, type GgufTensorType } from '../src/io/gguf.js';
import { decodeModel, ModelFileError } from '../src/io/model.js';
import { parseSafetensors, SafetensorsError, toF32 } from '../src/io/safetensors.js';
import { GGUF_BLOCKS, dequantizeGguf, dequantizeGgufRows, importGguf, type GgufBlockType } from '../src/quant/gguf.js';
import { f16BitsToF32, bf16BitsToF32 } from '../src/quant/f16.js';
import { importMlpGguf } from '../src/mlp/gguf_export.js';
import { readSafetensorsFile } from '../runtime/safetensors.js';
import { checkInputs, RUNNABLE_KERNELS } from '../src/kernels/runner.js';
import { KernelInputError } from '../src/kernels/runnable.js';
import { assert } from './invariant.js';
import { lmHeader } from './lm_target.js';
import { ModelConfigError } from '../src/nn/llama_config.js';
import { TokenizerError } from '../src/tokenizer/index.js';
import { Rng } from './rng.js';
import { CheckpointError, readCheckpoint } from '../src/mlp/checkpoint.js';

export { InvariantError } from './invariant.js';

export type TargetName = 'gguf' | 'gguf-lazy' | 'gguf-mlp' | 'safetensors' | 'model' | 'cli-in' | 'lm-header' | 'checkpoint';
export const TARGETS: TargetName[] = ['gguf', 'gguf-lazy', 'gguf-mlp', 'safetensors', 'model', 'cli-in', 'lm-header', 'checkpoint'];

/** The error classes each target may refuse with (a refusal by another class, or a TypeError / RangeError, is a crash). */
export const TYPED: Record<TargetName, (new (...a: never[]) => Error)[]> = {
  gguf: [GgufFileError],
  'gguf-lazy': [GgufFileError], // GgufHeaderIncomplete and src/quant/gguf.ts's GgufBlockError are GgufFileErrors
  'gguf-mlp': [GgufFileError],
  safetensors: [SafetensorsError],
  model: [SafetensorsError, ModelFileError],
  'cli-in': [SafetensorsError, KernelInputError],
  // RangeError only where the API documents it (an embedding row outside the vocabulary): lm_target.ts checks that.
  'lm-header': [GgufFileError, ModelConfigError, TokenizerError],
  checkpoint: [SafetensorsError, CheckpointError],
};

/**
 * Whether a refusal's message says where: a quoted key or tensor, a dotted metadata key, an offset or byte range,
 * a layer, or a header field (the file's own name, which every message starts with, does not count).
 */
export function namesPlace(m: string): boolean {
  const rest = m.replace(/^[^:]*fuzz[^:]*: /, '');
  return /'[^']*'|metadata|\b[a-z_]+\.[a-z_.]+\b|offset|bytes? \d|\d+ bytes|bytes \d+\.\.|header|__metadata__|data_offsets|layer \d|magic|version|tensor_count/.test(rest);
}


/** Decodes one tensor's bytes as nibble would use them: blocks imported and dequantized, floats converted. */
function decodeTensor(type: GgufTensorType, shape: number[], data: Uint8Array, name: string): void {
  const K = shape[shape.length - 1];
  const N = shape.reduce((a, b) => a * b, 1) / K;
  if (type in GGUF_BLOCKS) {
    const t = type as GgufBlockType;
    importGguf(t, data, N, K, name);
    dequantizeGguf(t, data, N, K, name);
    dequantizeGgufRows(t, data, N, K, [0, N - 1], name);
  } else if (type === 'F16' || type === 'BF16') {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i + 1 < data.length; i += 2) (type === 'F16' ? f16BitsToF32 : bf16BitsToF32)(dv.getUint16(i, true));
  }
}

async function ggufLazy(b: Uint8Array, r: Rng): Promise<void> {
  // A range source over the bytes (each slice a copy, as a Blob read is); a small first read makes openGguf grow it.
  const src = { size: b.length, slice: (s: number, e: number) => ({ arrayBuffer: async () => b.slice(s, e).buffer as ArrayBuffer }) };
  const g = await openGguf(src, 'fuzz.gguf', r.pick([8, 24, 100, 1024, 1 << 20]));
  for (const t of g.header.tensors) {
    assert(t.fileOffset >= g.header.dataOffset && t.fileOffset + t.bytes <= b.length, `tensor '${t.name}' [${t.fileOffset}, +${t.bytes}) is outside the file of ${b.length}`);
    const x = await g.tensor(t.name);
    decodeTensor(x.type, x.shape, x.data, x.name);
  }
  // The same header from a prefix: complete, or GgufHeaderIncomplete.
  parseGgufHeader(b.subarray(0, r.int(b.length + 1)), b.length, 'fuzz.gguf');
}

/** Runs `b` through target `t`; resolves when accepted, throws what the parser threw. */
export async function runTarget(t: TargetName, b: Uint8Array, r: Rng, tmpFile: string): Promise<void> {
  switch (t) {
    case 'gguf': {
      const f = parseGgufFile(b, 'fuzz.gguf');
      const kv = new DataView(b.buffer, b.byteOffset).getBigUint64(16, true);
      assert(BigInt(Object.keys(f.metadata).length) === kv, `metadata_kv_count ${kv} but ${Object.keys(f.metadata).length} keys came back`);
      for (const x of f.tensors) {
        assert(ggufTensor(f, x.name) === x, `tensor '${x.name}' is not found by its name`);
        decodeTensor(x.type, x.shape, x.data, x.name);
      }
      return;
    }
    case 'gguf-lazy':
      return ggufLazy(b, r);
    case 'gguf-mlp': {
      const q = importMlpGguf(b, 'fuzz.gguf');
      for (const l of q.layers) assert(l.bias.length === l.N && (l.w ?? l.codes!).length === l.N * l.K, `layer [${l.N}, ${l.K}]: data of the wrong size`);
      return;
    }
    case 'safetensors': {
      const st = parseSafetensors(b, 'fuzz.safetensors');
      const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      const keys = Object.keys(JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)))).filter((k) => k !== '__metadata__');
      assert(Object.keys(st.tensors).length === keys.length, `header has tensors ${JSON.stringify(keys)}, ${JSON.stringify(Object.keys(st.tensors))} came back`);
      for (const x of Object.values(st.tensors)) toF32(x);
      return;
    }
    case 'model': {
      const q = decodeModel(b, 'fuzz.model');
      q.layers.forEach((l, i) => {
        const ok = Number.isInteger(l.N) && l.N >= 1 && Number.isInteger(l.K) && l.K >= 1 && (l.bits === null || (Number.isInteger(l.group) && l.group >= 1 && l.K % l.group === 0));
        assert(ok, `layer ${i}: accepted N=${l.N} K=${l.K} bits=${l.bits} group=${l.group}`);
      });
      return;
    }
    case 'cli-in': {
      writeFileSync(tmpFile, b);
      const st = readSafetensorsFile(tmpFile);
      // The kernel whose inputs the file names (as a user would pick it), else any.
      const names = Object.keys(st.tensors);
      checkInputs(RUNNABLE_KERNELS.find((k) => names.every((n) => k.inputs.some((i) => i.name === n))) ?? r.pick(RUNNABLE_KERNELS), st.tensors);
      return;
    }
    case 'lm-header':
      return lmHeader(b, r);
    case 'checkpoint': {
      // Resumed with the sizes the file claims (a user's model of those sizes) where they parse, else a fixed model.
      let sizes = [8, 4, 2];
      try {
        const m = parseSafetensors(b, 'fuzz.checkpoint').metadata.sizes;
        const v = JSON.parse(m ?? 'null');
        if (Array.isArray(v) && v.length >= 2 && v.length <= 8 && v.every((x) => Number.isInteger(x) && x >= 1 && x <= 64)) sizes = v;
      } catch {
        // the read below refuses the file by name
      }
      const ck = readCheckpoint(b, sizes, 'fuzz.checkpoint');
      ck.weights.w.forEach((w, i) => assert(w.length === sizes[i] * sizes[i + 1], `w${i}: ${w.length} values for [${sizes[i + 1]}, ${sizes[i]}]`));
      assert(Number.isInteger(ck.step) && ck.step >= 0, `step ${ck.step}`);
      return;
    }
  }
}
