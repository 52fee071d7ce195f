// Writes the demo's bundled models (demo/public/models/): the digits MLP 64-64-64-10 trained in f32, then QAT
// fine-tuned and converted to W4 g32 (digits-w4g32.safetensors) and the f32 model it started from
// (digits-f32.safetensors), both as 'nibble-mlp' files (src/io/model.ts). Uses the built library (npm run build first):
//   node scripts/demo-models.mjs [--epochs 12] [--qat-epochs 4]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeContext } from '../dist/runtime/node.js';
import { loadDigitsFile } from '../dist/runtime/data.js';
import { splitDigits } from '../dist/src/data/digits.js';
import { encodeModel } from '../dist/src/io/model.js';
import { floatModel } from '../dist/src/mlp/qat.js';
import { DEFAULT_PIPELINE, formatPipeline, runDigitsPipeline } from '../dist/src/mlp/pipeline.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '12' }, 'qat-epochs': { type: 'string', default: '4' }, out: { type: 'string', default: 'demo/public/models' } } });
const ctx = await createNodeContext();
const split = splitDigits(await loadDigitsFile(), { seed: 0 });
const o = { ...DEFAULT_PIPELINE, hidden: [64, 64], epochs: Number(values.epochs), qatEpochs: Number(values['qat-epochs']), schemes: [{ bits: 4, group: 32 }] };
const r = await runDigitsPipeline(ctx, split, o, { log: (l) => console.error(l) });
console.log(formatPipeline(r, `${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isFallback ? ' (software fallback)' : ''}`));
mkdirSync(values.out, { recursive: true });
writeFileSync(`${values.out}/digits-w4g32.safetensors`, encodeModel(r.converted));
writeFileSync(`${values.out}/digits-f32.safetensors`, encodeModel(floatModel(r.float)));
console.log(`wrote ${values.out}/digits-w4g32.safetensors and ${values.out}/digits-f32.safetensors`);
ctx.destroy();
