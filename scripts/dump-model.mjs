// Writes the dequantized f32 weights and biases of a nibble-mlp model file as raw little-endian f32 files
// (DIR/w{i}.bin, DIR/b{i}.bin), for outside checks such as scripts/check_gguf.py. Needs `npm run build` first.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { decodeModel } from '../dist/src/io/model.js';
import { dequantizeLayer } from '../dist/src/mlp/qat.js';

const [file, dir] = process.argv.slice(2);
if (!file || !dir) {
  console.error('usage: node scripts/dump-model.mjs MODEL.safetensors OUTDIR');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const m = decodeModel(readFileSync(file), file);
m.layers.forEach((l, i) => {
  writeFileSync(`${dir}/w${i}.bin`, Buffer.from(dequantizeLayer(l).slice().buffer));
  writeFileSync(`${dir}/b${i}.bin`, Buffer.from(l.bias.slice().buffer));
});
console.log(`wrote ${m.layers.length} layers to ${dir}`);
