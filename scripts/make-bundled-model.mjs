// Writes the bundled language model, demo/public/models/nibble-tiny.gguf: a Llama-architecture GGUF with a
// byte-level SPM vocabulary (259 tokens: <unk>, <s>, </s> and the 256 byte tokens) and seeded random weights in
// Q8_0. Its weights are NOT trained: it exists so that `nibble generate` and the demo's Generate tab run offline on a
// fresh clone, and its text is noise. Reproducible: the same command writes the same bytes.
//   npm run build && node scripts/make-bundled-model.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthLlamaGguf } from '../dist/src/lm/synth.js';
import { gguf } from '../dist/src/io/gguf.js';

export const BUNDLED = {
  arch: 'llama',
  dim: 128,
  layers: 4,
  heads: 4,
  kvHeads: 2,
  ffn: 384,
  ctx: 512,
  weightType: 'Q8_0',
  embedType: 'Q8_0',
  seed: 2026,
  metadata: { 'general.name': gguf.str('nibble-tiny (untrained, random weights)') },
};

const out = join(dirname(fileURLToPath(import.meta.url)), '../demo/public/models/nibble-tiny.gguf');
mkdirSync(dirname(out), { recursive: true });
const bytes = synthLlamaGguf(BUNDLED);
writeFileSync(out, bytes);
console.log(`${out}: ${bytes.length} bytes`);
