#!/usr/bin/env node
// Writes test/fixtures/gguf_blocks.gguf: one tensor of every GGUF block type nibble reads (Q3_K and Q2_K, then MXFP4,
// IQ4_NL and IQ4_XS, then the IQ1-IQ3 lattice types last, added after the others: the earlier tensors' bytes are
// unchanged), of seeded random blocks
// (every bit pattern of codes, high bits and 6/8-bit scales is valid; d, m and dmin finite), for the known-answer
// test against llama.cpp's own decoder:
//   npm run build && node scripts/gguf-fixture.mjs
//   python3 -m venv /tmp/ggvenv && /tmp/ggvenv/bin/pip install gguf
//   /tmp/ggvenv/bin/python scripts/gguf_dequant.py test/fixtures/gguf_blocks.gguf test/fixtures/gguf_blocks.gguf-py.f32
// test/unit/quant.test.ts and test/unit/kernel-cli.test.ts compare nibble's imports with that file bit for bit.
import { writeFileSync } from 'node:fs';
import { encodeGgufFile } from '../dist/src/io/gguf.js';
import { randomGgufBlocks } from '../dist/src/ref/random.js';

const tensors = [
  { name: 'blk.0.ffn_up.weight', type: 'Q4_K', shape: [3, 512], seed: 2026 },
  { name: 'output.weight', type: 'Q6_K', shape: [2, 512], seed: 2027 },
  { name: 'blk.1.ffn_up.weight', type: 'Q5_K', shape: [2, 512], seed: 2028 },
  { name: 'blk.2.attn_q.weight', type: 'Q5_0', shape: [3, 64], seed: 2029 },
  { name: 'blk.3.attn_q.weight', type: 'Q5_1', shape: [3, 64], seed: 2030 },
  { name: 'blk.4.attn_q.weight', type: 'Q4_0', shape: [2, 64], seed: 2031 },
  { name: 'blk.5.attn_q.weight', type: 'Q4_1', shape: [2, 64], seed: 2032 },
  { name: 'blk.6.attn_q.weight', type: 'Q8_0', shape: [2, 64], seed: 2033 },
  { name: 'blk.7.ffn_down.weight', type: 'Q3_K', shape: [3, 512], seed: 2034 },
  { name: 'blk.8.ffn_down.weight', type: 'Q2_K', shape: [2, 512], seed: 2035 },
  { name: 'blk.9.ffn_up_exps.weight', type: 'MXFP4', shape: [3, 64], seed: 2036 },
  { name: 'blk.10.attn_v.weight', type: 'IQ4_NL', shape: [2, 64], seed: 2037 },
  { name: 'blk.11.ffn_gate.weight', type: 'IQ4_XS', shape: [2, 512], seed: 2038 },
  { name: 'blk.12.ffn_up.weight', type: 'IQ2_XXS', shape: [2, 512], seed: 2039 },
  { name: 'blk.13.ffn_up.weight', type: 'IQ2_XS', shape: [2, 512], seed: 2040 },
  { name: 'blk.14.ffn_up.weight', type: 'IQ2_S', shape: [2, 512], seed: 2041 },
  { name: 'blk.15.ffn_up.weight', type: 'IQ3_XXS', shape: [2, 512], seed: 2042 },
  { name: 'blk.16.ffn_up.weight', type: 'IQ3_S', shape: [2, 512], seed: 2043 },
  { name: 'blk.17.ffn_up.weight', type: 'IQ1_S', shape: [2, 512], seed: 2044 },
  { name: 'blk.18.ffn_up.weight', type: 'IQ1_M', shape: [2, 512], seed: 2045 },
].map(({ name, type, shape, seed }) => ({ name, type, shape, data: randomGgufBlocks(type, shape[0], shape[1], seed) }));
// Edge bytes: every scale byte 0xff in one super-block (the largest 6-bit scales and mins; int8 scale -1), and all
// fifth bits set in one block.
tensors[0].data.fill(0xff, 4, 16);
tensors[1].data.fill(0xff, 192, 208);
tensors[2].data.fill(0xff, 4, 48);
tensors[3].data.fill(0xff, 2, 6);
// Q3_K: every scale byte 0xff in one super-block (6-bit scales 63: +31), every third bit clear in another (q = low
// bits - 4); Q2_K: every scale byte 0xff in one (4-bit scales and mins 15).
tensors[8].data.fill(0xff, 96, 108);
tensors[8].data.fill(0, 110, 142);
tensors[9].data.fill(0xff, 84, 100);
// MXFP4: exponents 2 and 140 (the smallest normal scale, 2^-126, and 2^12) in two blocks, every code
// 0x88 (-0) in one; IQ4_XS: every scale bit set in one super-block (ls = 63: +31), every one clear in the other (-32).
tensors[10].data[0] = 2;
tensors[10].data[17] = 140;
tensors[10].data.fill(0x88, 35, 51);
tensors[12].data.fill(0xff, 2, 8);
tensors[12].data.fill(0, 138, 144);
const out = new URL('../test/fixtures/gguf_blocks.gguf', import.meta.url);
writeFileSync(out, encodeGgufFile(tensors));
console.log(`wrote ${out.pathname}: ${tensors.map((t) => `${t.name} ${t.type} [${t.shape}]`).join(', ')}`);
