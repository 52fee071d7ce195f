// Every failure `npm run fuzz` found, as the smallest input that shows it (built here, byte for byte), with the
// behaviour it has now: refused by the module's error class naming the place, or accepted whole.
import { describe, expect, it } from 'vitest';
import { encodeGgufFile, gguf, GgufFileError, parseGgufFile, type GgufValue } from '../../src/io/gguf.js';
import { decodeModel, encodeModel, ModelFileError } from '../../src/io/model.js';
import { encodeSafetensors, parseSafetensors, SafetensorsError } from '../../src/io/safetensors.js';
import { dequantizeGguf, GgufBlockError, importGguf } from '../../src/quant/gguf.js';
import { importMlpGguf } from '../../src/mlp/gguf_export.js';
import type { QuantizedMlp } from '../../src/mlp/qat.js';
import { synthLlamaGguf } from '../../src/lm/synth.js';
import { llamaConfigFromGguf, ModelConfigError } from '../../src/nn/llama_config.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { BYTE_TO_CHAR } from '../../src/tokenizer/unicode.js';

/** A safetensors file from its header text and data (no checks: the bytes are what the text says). */
function safetensorsBytes(header: string, data = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('fuzz regressions: GGUF', () => {
  it('a NaN / Inf block scale is a GgufBlockError (a GgufFileError) naming tensor, block and byte, not a bare Error', () => {
    // One Q8_0 block: f16 d = NaN (0x7e00), 32 zero codes. Found as seed 1 input 36 (d = NaN), 140 (d = -Inf).
    const block = new Uint8Array(34);
    block[0] = 0x00;
    block[1] = 0x7e;
    const err = (() => {
      try {
        importGguf('Q8_0', block, 1, 32, 'blk.0.w');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GgufBlockError);
    expect(err).toBeInstanceOf(GgufFileError);
    expect((err as Error).message).toBe("tensor 'blk.0.w': Q8_0 block 0 (row 0, k 0, byte 0) has d = NaN");
    // Wrong sizes are the same class.
    expect(() => dequantizeGguf('Q4_0', new Uint8Array(17), 1, 32, 'w')).toThrow(GgufBlockError);
  });

  it("metadata keys named like Object.prototype's members ('constructor', '__proto__') are kept as keys, not refused or lost", () => {
    const meta = Object.fromEntries([
      ['constructor', gguf.str('c')],
      ['__proto__', gguf.u32(7)],
    ]);
    const f = parseGgufFile(encodeGgufFile([], meta));
    expect(Object.keys(f.metadata).sort()).toEqual(['__proto__', 'constructor', 'general.alignment']);
    expect(Object.getOwnPropertyDescriptor(f.metadata, '__proto__')?.value).toEqual(gguf.u32(7));
    expect(f.metadata.constructor).toEqual(gguf.str('c'));
    expect(Object.getPrototypeOf(f.metadata)).toBe(Object.prototype);
    // A real duplicate is still refused.
    const b = encodeGgufFile([], { 'a.b': gguf.u32(1), 'a.c': gguf.u32(2) });
    const at = Buffer.from(b).indexOf('a.c');
    b.set(new TextEncoder().encode('a.b'), at); // the second key renamed to the first
    expect(() => parseGgufFile(b)).toThrow(/metadata key 'a.b' appears twice \(offset \d+\)/);
  });

  it('importMlpGguf quotes a 64-bit general.architecture in its error (JSON.stringify threw a TypeError on the bigint)', () => {
    const b = encodeGgufFile([], { 'general.architecture': gguf.u64(5n) });
    expect(() => importMlpGguf(b, 'm.gguf')).toThrow(GgufFileError);
    expect(() => importMlpGguf(b, 'm.gguf')).toThrow("m.gguf: general.architecture is u64 5, expected 'nibble-mlp'");
  });
});

describe('fuzz regressions: safetensors', () => {
  it("a tensor or metadata key named '__proto__' is kept (it set the result's prototype and vanished)", () => {
    const st = parseSafetensors(safetensorsBytes('{"__metadata__":{"__proto__":"m"},"__proto__":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', Uint8Array.from([5, 6])));
    expect(Object.keys(st.tensors)).toEqual(['__proto__']);
    expect(Array.from(Object.getOwnPropertyDescriptor(st.tensors, '__proto__')!.value.data)).toEqual([5, 6]);
    expect(Object.getPrototypeOf(st.tensors)).toBe(Object.prototype);
    expect(Object.keys(st.metadata)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(st.metadata, '__proto__')?.value).toBe('m');
    // And a bad entry under that name is still refused by name.
    expect(() => parseSafetensors(safetensorsBytes('{"__proto__":{"dtype":"U8","shape":[3],"data_offsets":[0,2]}}', Uint8Array.from([5, 6])))).toThrow(SafetensorsError);
  });
});

describe('fuzz regressions: nibble model files', () => {
  const model: QuantizedMlp = {
    sizes: [4, 2],
    layers: [{ N: 2, K: 4, bits: 4, group: 4, codes: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), scales: Float32Array.from([0.5, 0.25]), bias: Float32Array.from([1, 2]), act: null }],
  };
  /** The model's file with its metadata field `key` replaced by the text `value`. */
  const withMeta = (key: string, value: string) => {
    const st = parseSafetensors(encodeModel(model));
    return encodeSafetensors(st.tensors, { ...st.metadata, [key]: value });
  };

  it('the file as written decodes', () => {
    expect(decodeModel(encodeModel(model)).layers[0].group).toBe(4);
  });

  it("layers [null] is refused by name (it was a TypeError reading 'act' of null; seed 3 input 1858)", () => {
    expect(() => decodeModel(withMeta('layers', '[null]'), 'm')).toThrow(ModelFileError);
    expect(() => decodeModel(withMeta('layers', '[null]'), 'm')).toThrow('m: metadata layers[0] = null is not an object {bits, group, act}');
  });

  it('sizes holding a string, zero or a fraction are refused (a string size was accepted as N; seed 3 input 2128)', () => {
    expect(() => decodeModel(withMeta('sizes', '[4, "2"]'), 'm')).toThrow('m: metadata sizes [4, "2"]: sizes[1] = "2" is not a positive integer');
    expect(() => decodeModel(withMeta('sizes', '[4.5, 2]'), 'm')).toThrow(/sizes\[0\] = 4.5 is not a positive integer/);
    expect(() => decodeModel(withMeta('sizes', '[0, 2]'), 'm')).toThrow(/sizes\[0\] = 0 is not a positive integer/);
  });

  it('a group that is not a positive integer dividing K is refused (0.5 divided K = 4 "exactly")', () => {
    expect(() => decodeModel(withMeta('layers', '[{"bits":4,"group":0.5,"act":null}]'), 'm')).toThrow('m: layer 0: bits 4 / group 0.5 do not fit K=4');
    expect(() => decodeModel(withMeta('layers', '[{"bits":4,"group":-4,"act":null}]'), 'm')).toThrow('m: layer 0: bits 4 / group -4 do not fit K=4');
  });
});

describe('fuzz regressions: language models', () => {
  /** A tiny one-layer llama file (dim 64) with metadata overrides, as synthLlamaGguf writes it. */
  const tiny = (metadata: Record<string, GgufValue> = {}, vocab?: Record<string, GgufValue>) => parseGgufFile(synthLlamaGguf({ dim: 64, layers: 1, heads: 2, ffn: 32, metadata, vocab }));

  it('a block_count the file cannot hold is refused by name at once (2^32 - 1 layers listed 40 billion tensor names: out of memory; seed 1 input 1063)', () => {
    const f = tiny({ 'llama.block_count': gguf.u32(0xffffffff) });
    const t0 = performance.now();
    expect(() => llamaConfigFromGguf(f.metadata, f.tensors)).toThrow(ModelConfigError);
    expect(() => llamaConfigFromGguf(f.metadata, f.tensors)).toThrow("model config: 'llama.block_count' 4294967295 needs at least 38654705655 tensors (9 per layer), the file has 12");
    expect(performance.now() - t0).toBeLessThan(1000);
    // Two layers where the file holds one: refused the same way; one layer: read.
    expect(() => llamaConfigFromGguf(tiny({ 'llama.block_count': gguf.u32(2) }).metadata, f.tensors)).toThrow(/'llama\.block_count' 2 needs at least 18 tensors/);
    expect(llamaConfigFromGguf(tiny().metadata, f.tensors).layers).toBe(1);
  });

  it('a long byte-level BPE token of characters outside the byte alphabet builds in linear time (llama.cpp repeats the token after each: 74 s, 64 MB; seed 1 input 825)', () => {
    const bpe = (extra: string) => {
      const tokens = [...BYTE_TO_CHAR, extra];
      return {
        'tokenizer.ggml.model': gguf.str('gpt2'),
        'tokenizer.ggml.pre': gguf.str('qwen2'),
        'tokenizer.ggml.tokens': gguf.array('string', tokens),
        'tokenizer.ggml.token_type': gguf.array('i32', tokens.map(() => 1)),
        'tokenizer.ggml.merges': gguf.array('string', ['Ġ a']),
      };
    };
    const t0 = performance.now();
    const tok = Tokenizer.fromGguf(bpe('\u{1f600}'.repeat(4000)));
    expect(performance.now() - t0).toBeLessThan(1000);
    // Each unknown character alone: [UNK_BYTE_0x<its UTF-8 bytes>].
    expect(tok.decode([256])).toBe('[UNK_BYTE_0xf09f9880]'.repeat(4000));
    // A short token keeps llama.cpp's rendering, the token's text after each unknown character.
    expect(Tokenizer.fromGguf(bpe('a\u65e5')).decode([256])).toBe('a[UNK_BYTE_0xe697a5a\u65e5]');
  });
});
