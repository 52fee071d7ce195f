// nibble train: the main job. Trains an f32 MLP on the bundled digits data, quantizes it post-training, fine-tunes
// with QAT, converts, prints the comparison table and saves the converted model (safetensors, atomically).
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { splitDigits } from '../../src/data/digits.js';
import { encodeModel } from '../../src/io/model.js';
import { exportMlpGguf } from '../../src/mlp/gguf_export.js';
import { DEFAULT_PIPELINE, formatPipeline, runDigitsPipeline, type PipelineOptions } from '../../src/mlp/pipeline.js';
import { createNodeContext } from '../node.js';
import { loadDigitsFile } from '../data.js';
import { ProgressBar } from '../progress.js';
import { UsageError, type Command } from './command.js';

/** Writes bytes to `path` through a temporary file and a rename, so a failure never leaves a partial file. */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function num(name: string, v: string | undefined, fallback: number, ok: (x: number) => boolean, what: string): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || !ok(x)) throw new UsageError(`--${name}=${v}: ${what}`);
  return x;
}

export const trainCommand: Command = {
  summary: 'train an MLP on the bundled digits data: f32, PTQ, QAT fine-tuning, convert; prints the table',
  help: `options:
  --bits N[,N]      weight bits of the schemes to compare (2..8; default 4,2)
  --group G         group size along K (16, 32, 64; 0 = per channel; default 32)
  --act             also fake-quantize activations per token (int8 asymmetric, torchao 8da4w-style)
  --lsq             learned quantizers: LSQ weight scales per group (and with --act, LSQ+ per-tensor activation
                    scale and zero point, calibrated on 256 training rows) instead of the dynamic ones
  --pact            with --act: PACT activation quantizers (a learned clip alpha per layer input, unsigned codes
                    over [0, alpha]) instead of the per-token / LSQ+ ones
  --adaqat          also run AdaQAT: per-layer weight (and, with --act, activation) bit-widths learned from 8 bits
                    down, by finite differences of the loss plus a size / BitOPs cost; prints the bit-widths chosen
                    and saves that converted model too (digits-adaqat-g<group>.safetensors, next to --out)
  --adaqat-lambda X weight of AdaQAT's cost term (default 0.1; larger: fewer bits)
  --adaqat-lr X     learning rate of the bit-widths (default 2)
  --epochs E        f32 epochs (default ${DEFAULT_PIPELINE.epochs})
  --qat-epochs E    QAT fine-tuning epochs (default ${DEFAULT_PIPELINE.qatEpochs})
  --lr X            f32 learning rate, AdamW (default ${DEFAULT_PIPELINE.lr})
  --qat-lr X        QAT learning rate (default ${DEFAULT_PIPELINE.qatLr})
  --batch B         batch size (default ${DEFAULT_PIPELINE.batch})
  --hidden H[,H]    hidden layer sizes (default ${DEFAULT_PIPELINE.hidden.join(',')})
  --seed S          seed of the weights and batch order (default 0)
  --format q4_0|q8_0  GGUF export target: QAT fake-quantizes with that format's own scale rule (4- or 8-bit, group 32;
                    --bits/--group must agree or be left out; not with --lsq) and the converted model is also written as a lossless
                    GGUF v3 file, PATH with .safetensors replaced by .gguf (tensors blk.<i>.weight, blk.<i>.bias)
  --out PATH        where to save the converted model of the first scheme (default out/digits-w<bits>g<group>.safetensors,
                    with --format out/digits-<format>.safetensors)
  --json            print the results as JSON`,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        strict: true,
        options: {
          bits: { type: 'string' }, group: { type: 'string' }, act: { type: 'boolean' }, epochs: { type: 'string' }, 'qat-epochs': { type: 'string' },
          lr: { type: 'string' }, 'qat-lr': { type: 'string' }, batch: { type: 'string' }, hidden: { type: 'string' }, seed: { type: 'string' },
          out: { type: 'string' }, json: { type: 'boolean' }, adaqat: { type: 'boolean' }, 'adaqat-lambda': { type: 'string' }, 'adaqat-lr': { type: 'string' }, lsq: { type: 'boolean' }, pact: { type: 'boolean' },
          format: { type: 'string' },
        },
      }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const fmtArg = values.format?.toUpperCase();
    if (fmtArg !== undefined && fmtArg !== 'Q4_0' && fmtArg !== 'Q8_0') throw new UsageError(`--format=${values.format}: the GGUF formats are q4_0 and q8_0`);
    const format = fmtArg as 'Q4_0' | 'Q8_0' | undefined;
    const group = num('group', values.group, 32, (x) => [0, 16, 32, 64].includes(x), 'group must be 0 (per channel), 16, 32 or 64 (it must divide every layer width)');
    const bits = (values.bits ?? '4,2').split(',').map((b) => num('bits', b, 4, (x) => Number.isInteger(x) && x >= 2 && x <= 8, 'bits must be integers in 2..8'));
    const hidden = (values.hidden ?? DEFAULT_PIPELINE.hidden.join(',')).split(',').map((h) => num('hidden', h, 128, (x) => Number.isInteger(x) && x > 0 && x % 64 === 0, 'hidden sizes must be positive multiples of 64'));
    if (format) {
      const fb = format === 'Q4_0' ? 4 : 8;
      if (values.bits !== undefined && (bits.length !== 1 || bits[0] !== fb)) throw new UsageError(`--bits=${values.bits} conflicts with --format=${values.format} (${fb}-bit; leave --bits out)`);
      if (values.group !== undefined && group !== 32) throw new UsageError(`--group=${values.group} conflicts with --format=${values.format} (blocks of 32; leave --group out)`);
      bits.splice(0, bits.length, fb);
    }
    const o: PipelineOptions = {
      ...DEFAULT_PIPELINE,
      hidden,
      schemes: bits.map((b) => ({ bits: b, group: format ? 32 : group })),
      ...(format ? { format } : {}),
      act: !!values.act,
      learn: !!values.lsq,
      pact: !!values.pact,
      epochs: num('epochs', values.epochs, DEFAULT_PIPELINE.epochs, (x) => Number.isInteger(x) && x > 0, 'a positive integer'),
      qatEpochs: num('qat-epochs', values['qat-epochs'], DEFAULT_PIPELINE.qatEpochs, (x) => Number.isInteger(x) && x > 0, 'a positive integer'),
      lr: num('lr', values.lr, DEFAULT_PIPELINE.lr, (x) => x > 0, 'a positive number'),
      qatLr: num('qat-lr', values['qat-lr'], DEFAULT_PIPELINE.qatLr, (x) => x > 0, 'a positive number'),
      batch: num('batch', values.batch, DEFAULT_PIPELINE.batch, (x) => Number.isInteger(x) && x > 0 && x <= 1024, 'an integer in 1..1024'),
      seed: num('seed', values.seed, 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer'),
    };
    if (!values.adaqat && (values['adaqat-lambda'] !== undefined || values['adaqat-lr'] !== undefined)) throw new UsageError('--adaqat-lambda / --adaqat-lr need --adaqat');
    if (values.adaqat) {
      o.adaqat = {
        group,
        lambda: num('adaqat-lambda', values['adaqat-lambda'], 0.1, (x) => x >= 0, 'a number >= 0'),
        lr: num('adaqat-lr', values['adaqat-lr'], 2, (x) => x >= 0, 'a number >= 0'),
      };
    }
    if (values.pact && !values.act) throw new UsageError('--pact quantizes activations: it needs --act');
    if (format && values.lsq) throw new UsageError(`--format=${values.format} fixes the scale rule (ggml's d); it cannot be combined with --lsq (learned scales)`);
    const out = values.out ?? (format ? `out/digits-${format.toLowerCase()}.safetensors` : `out/digits-w${o.schemes[0].bits}g${group}.safetensors`);
    const ggufOut = format ? `${out.replace(/\.safetensors$/, '')}.gguf` : null;
    const t0 = performance.now();
    const ctx = await createNodeContext();
    const adapter = `${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isFallback ? ' (software fallback: SwiftShader)' : ''}, ${ctx.info.runtime}`;
    const split = splitDigits(await loadDigitsFile(), { seed: 0 });
    const bar = values.json ? null : new ProgressBar();
    const r = await runDigitsPipeline(ctx, split, o, {
      log: (l) => !values.json && console.error(l),
      onStep: (phase, s) => bar?.update({ step: s.step, total: s.total, loss: s.loss, msPerStep: s.ms, label: phase.padEnd(12).slice(0, 18) }),
    });
    writeAtomic(out, encodeModel(r.converted));
    const adaOut = join(dirname(out), `digits-adaqat-g${group}.safetensors`);
    if (r.adaqat) writeAtomic(adaOut, encodeModel(r.adaqat.converted));
    const ggufBytes = ggufOut ? await exportMlpGguf(ctx, r.qatModel!) : null;
    if (ggufOut) writeAtomic(ggufOut, ggufBytes!);
    const secs = (performance.now() - t0) / 1000;
    const adaqat = r.adaqat ? { ...r.adaqat.report, scheme: r.adaqat.scheme, saved: adaOut } : undefined;
    if (values.json) console.log(JSON.stringify({ adapter: ctx.info, ...r, converted: undefined, float: undefined, qatModel: undefined, adaqat, saved: out, ...(ggufOut ? { gguf: ggufOut } : {}), seconds: secs }, null, 2));
    else {
      const gg = ggufOut ? `\nsaved it as GGUF ${format} (lossless: the blocks are the QAT weights) to ${ggufOut}, ${ggufBytes!.length} bytes` : '';
      console.log(`${formatPipeline(r, adapter)}\nsaved the converted ${o.schemes[0].bits}-bit model to ${out}${r.adaqat ? ` and the AdaQAT model to ${adaOut}` : ''}${gg}\ntotal ${secs.toFixed(1)} s`);
    }
    ctx.destroy();
    return 0;
  },
};
