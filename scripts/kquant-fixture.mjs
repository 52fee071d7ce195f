#!/usr/bin/env node
// Writes test/fixtures/kquants.gguf: GGUF K-quant tensors of seeded random super-blocks (every bit pattern of codes
// and 6/8-bit scales is valid; d and dmin finite), for the known-answer test against llama.cpp's own decoder:
//   npm run build && node scripts/kquant-fixture.mjs
//   python3 -m venv /tmp/ggvenv && /tmp/ggvenv/bin/pip install gguf
//   /tmp/ggvenv/bin/python scripts/gguf_dequant.py test/fixtures/kquants.gguf test/fixtures/kquants.gguf-py.f32
// test/unit/quant.test.ts compares nibble's import (and its own block decoder) with that file bit for bit.
import { writeFileSync } from 'node:fs';
import { encodeGgufFile } from '../dist/src/io/gguf.js';
import { randomGgufKBlocks } from '../dist/src/ref/random.js';

const tensors = [
  { name: 'blk.0.ffn_up.weight', type: 'Q4_K', shape: [3, 512], seed: 2026 },
  { name: 'output.weight', type: 'Q6_K', shape: [2, 512], seed: 2027 },
].map(({ name, type, shape, seed }) => ({ name, type, shape, data: randomGgufKBlocks(type, shape[0], shape[1], seed) }));
// One super-block of each with every scale byte 0xff: the largest 6-bit scales and mins, int8 scale -1.
tensors[0].data.fill(0xff, 4, 16);
tensors[1].data.fill(0xff, 192, 208);
const out = new URL('../test/fixtures/kquants.gguf', import.meta.url);
writeFileSync(out, encodeGgufFile(tensors));
console.log(`wrote ${out.pathname}: ${tensors.map((t) => `${t.name} ${t.type} [${t.shape}]`).join(', ')}`);
