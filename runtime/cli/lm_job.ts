// nibble lm job (npm start): the language-model job from the bundled f32 Shakespeare model. PTQ vs QAT at W4 g32
// (ggml's Q4_0 rule) and W2 g32, each trained for the same steps as an f32 baseline on the same batches,
// converted and exported to GGUF; llama.cpp (node-llama-cpp) runs the 4-bit file and its next-token probabilities
// are checked against nibble's (the bound of test/kernels/lm_llamacpp.test.ts); a sample from the f32 and the
// 4-bit model side by side; the table of losses, sizes and tokens per second.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { textDataset } from '../../src/data/text.js';
import { gguf, parseGgufFile } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { gapRecovered, qatLlama, type LmQatOptions, type LmQatResult } from '../../src/lm/qat.js';
import { llamaWeightsFromGguf } from '../../src/nn/llama_weights.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { createNodeContext } from '../node.js';
import { ProgressBar } from '../progress.js';
import { UsageError } from './command.js';
import { bundledModelPath, findFile, numberOpt, tokenizerMetadata } from './lm.js';
import { defaultGrid, defaultMethod, QAT_DEFAULTS } from './lm_qat.js';

export const JOB_HELP = `usage: nibble lm job [--steps N] [--chars N] [--out DIR] [--json]   (npm start)
  from the bundled f32 model: PTQ vs QAT at W4 g32 (Q4_0) and W2 g32, converted to GGUF, the 4-bit file checked
  with llama.cpp, samples of the f32 and the 4-bit model side by side, a table of losses, sizes and tokens/s
  --steps N   QAT steps (and f32 baseline steps) per bit width (default 60: about 2 minutes on 2 CPU cores)
  --chars N   sample length in bytes (default 200)
  --out DIR   where the GGUF files go (default out/)
  --json      print the figures as one JSON object`;

/** The bound of test/kernels/lm_llamacpp.test.ts: nibble's f32 error, llama.cpp's 8-bit activations (E) twice, its f32 noise. */
const NIBBLE_BOUND = 5e-4;
const CPP_F32 = 2e-5;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Two texts in columns of `w` characters (lines wrapped, line breaks kept). */
function sideBySide(a: string, b: string, w: number, titles: [string, string]): string {
  const lines = (s: string) => s.split('\n').flatMap((l) => (l.length === 0 ? [''] : (l.match(new RegExp(`.{1,${w}}`, 'g')) ?? [''])));
  const [la, lb] = [lines(a), lines(b)];
  const out = [`${titles[0].padEnd(w)} | ${titles[1]}`, `${'-'.repeat(w)}-+-${'-'.repeat(w)}`];
  for (let i = 0; i < Math.max(la.length, lb.length); i++) out.push(`${(la[i] ?? '').padEnd(w)} | ${lb[i] ?? ''}`);
  return out.join('\n');
}

async function sample(lm: LanguageModel, prompt: string, chars: number): Promise<{ text: string; tps: number }> {
  const it = lm.generate(prompt, { maxTokens: chars, temperature: 0.8, seed: 1, contextShift: true });
  let text = prompt;
  for (;;) {
    const r = await it.next();
    if (r.done) return { text, tps: r.value.decodeTokensPerSecond };
    text += r.value;
  }
}

export async function lmJob(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { steps: { type: 'string' }, chars: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, strict: true }));
  } catch (e) {
    throw new UsageError(`lm job: ${(e as Error).message}\n${JOB_HELP}`);
  }
  const steps = numberOpt('lm job', 'steps', values.steps, (n) => Number.isInteger(n) && n >= 1, 'must be an integer >= 1') ?? 60;
  const chars = numberOpt('lm job', 'chars', values.chars, (n) => Number.isInteger(n) && n >= 1, 'must be an integer >= 1') ?? 200;
  const outDir = resolve(values.out ?? 'out');
  const t0 = performance.now();
  const log = (s: string) => !values.json && console.error(s);
  const f32Path = bundledModelPath('shakespeare-f32.gguf');
  const file = parseGgufFile(readFileSync(f32Path), f32Path);
  const model = llamaWeightsFromGguf(file);
  const tok = Tokenizer.fromGguf(file.metadata);
  const data = textDataset(readFileSync(findFile('demo/public/data/tinyshakespeare.txt'), 'utf8'), tok);
  const base = { distill: QAT_DEFAULTS.distill ? { temperature: QAT_DEFAULTS.temperature, teacher: QAT_DEFAULTS.teacher } : false, steps, lr: QAT_DEFAULTS.lr, batch: QAT_DEFAULTS.batch, seq: QAT_DEFAULTS.seq, seed: QAT_DEFAULTS.seed, valWindows: 32, warmupSteps: 0 } satisfies Partial<LmQatOptions>;
  const ctx = await createNodeContext();
  try {
    const adapter = `${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isFallback ? ' (software fallback: SwiftShader)' : ''}`;
    log(`lm job: ${f32Path} (${String(file.metadata['general.name']?.value ?? '')}), ${steps} steps of ${base.batch} x ${base.seq} tokens per run, ${adapter}`);
    mkdirSync(outDir, { recursive: true });
    const w2Midrise = defaultGrid(2) === 'midrise'; // the W2 run is `nibble lm qat --bits 2`'s recipe
    const runs: { label: string; file: string; r: LmQatResult }[] = [];
    for (const [label, q, name, baseline] of [
      ['W4 g32 (Q4_0 rule)', { format: 'Q4_0', method: 'ste' }, 'shakespeare-qat-q4_0.gguf', true],
      ['W2 g32', { bits: 2, group: 32, method: defaultMethod(2), ...(defaultMethod(2) === 'lsq' ? { lsqInit: QAT_DEFAULTS.lsqInit } : {}), ...(w2Midrise ? { midrise: true } : {}) }, 'shakespeare-qat-w2.gguf', false],
    ] as const) {
      const bar = values.json ? null : new ProgressBar();
      const o: LmQatOptions = { ...base, ...q, baseline, metadata: { ...tokenizerMetadata(file.metadata), 'general.name': gguf.str(`nibble Shakespeare, QAT ${label}, ${steps} steps`) } };
      o.onStep = (phase, s, total, loss, ms) => bar?.update({ step: s, total, loss, msPerStep: ms, label: `${label} ${phase}` });
      const r = await qatLlama(ctx, model, data, o);
      if (!values.json) process.stderr.write('\n');
      const path = join(outDir, name);
      writeFileSync(path, r.gguf);
      runs.push({ label, file: path, r });
    }
    const [r4, r2] = runs;
    // llama.cpp on the 4-bit file: next-token probabilities at every position of a validation prompt.
    const ids = [tok.bos!, ...Array.from(data.val.subarray(0, 47))];
    const q4file = parseGgufFile(r4.r.gguf);
    const f32lm = await LanguageModel.load(ctx, f32Path, { warmup: false });
    const q4lm = await LanguageModel.load(ctx, r4.file, { warmup: false, kvType: 'f32' });
    let check: { maxDiff: number; bound: number; E: number; ok: boolean } | { error: string };
    try {
      const V = q4lm.config.vocab;
      const T = ids.length;
      const ours = softmaxRows(await q4lm.logits(ids), T, V);
      const exact = softmaxRows(llamaLogitsRef(q4file, ids), T, V);
      const E = maxDiff(exact, softmaxRows(llamaLogitsRef(q4file, ids, { cpuActivations: true }), T, V));
      try {
        const { llamaCppLogits, disposeLlamaCpp } = await import('../llamacpp.js');
        const cpp = new Float64Array(T * V);
        (await llamaCppLogits(r4.file, ids)).forEach((p, i) => cpp.set(p, i * V));
        await disposeLlamaCpp();
        const d = maxDiff(ours, cpp);
        const bound = NIBBLE_BOUND + 2 * E + CPP_F32;
        check = { maxDiff: d, bound, E, ok: d <= bound };
      } catch (e) {
        check = { error: `llama.cpp (node-llama-cpp) did not run: ${(e as Error).message}` };
      }
      log('sampling...');
      const prompt = 'ROMEO:\n';
      const s32 = await sample(f32lm, prompt, chars);
      const s4 = await sample(q4lm, prompt, chars);
      const seconds = (performance.now() - t0) / 1000;
      const size = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
      const f32Bytes = readFileSync(f32Path).length;
      const result = {
        model: f32Path, adapter, steps, seconds,
        f32: { bytes: f32Bytes, val: r4.r.f32_start, val_after: r4.r.f32_after, decode_tokens_per_second: s32.tps, ms_per_step: r4.r.ms_per_step_f32 },
        q4_0: { bytes: r4.r.gguf.length, ptq: r4.r.ptq, qat: r4.r.qat, converted: r4.r.converted, recovered: r4.r.recovered, decode_tokens_per_second: s4.tps, ms_per_step: r4.r.ms_per_step_qat, file: r4.file },
        w2: { bytes: r2.r.gguf.length, ptq: r2.r.ptq, qat: r2.r.qat, converted: r2.r.converted, recovered: gapRecovered({ ...r4.r, ptq: r2.r.ptq, qat: r2.r.qat }), ms_per_step: r2.r.ms_per_step_qat, file: r2.file },
        llamacpp: check,
        samples: { f32: s32.text, q4_0: s4.text },
      };
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        const f = (x: number) => x.toFixed(3);
        const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
        console.log(
          [
            '',
            sideBySide(s32.text, s4.text, 48, ['f32 model', 'QAT Q4_0 model (converted GGUF)']),
            '',
            `validation loss in nats per byte (32 windows of ${base.seq} bytes); QAT and the f32 baseline trained ${steps} steps on the same batches`,
            `| model                         | file     | val loss | gap recovered | decode tok/s |`,
            `| ----------------------------- | -------- | -------- | ------------- | ------------ |`,
            `| f32 (bundled)                 | ${size(f32Bytes).padEnd(8)} | ${f(r4.r.f32_start)}    |               | ${s32.tps.toFixed(1).padStart(12)} |`,
            `| ${`f32 + ${steps} steps (baseline)`.padEnd(29)} |          | ${f(r4.r.f32_after)}    |               |              |`,
            `| PTQ Q4_0                      |          | ${f(r4.r.ptq)}    |               |              |`,
            `| QAT Q4_0, converted GGUF      | ${size(r4.r.gguf.length).padEnd(8)} | ${f(r4.r.converted)}    | ${pct(r4.r.recovered).padStart(13)} | ${s4.tps.toFixed(1).padStart(12)} |`,
            `| PTQ W2 g32                    |          | ${f(r2.r.ptq)}    |               |              |`,
            `| ${(w2Midrise ? 'QAT W2 midrise, converted *' : 'QAT W2 g32, converted GGUF *').padEnd(29)} | ${size(r2.r.gguf.length).padEnd(8)} | ${f(r2.r.converted)}    | ${pct(result.w2.recovered).padStart(13)} |              |`,
            `* 2-bit codes in Q4_0 blocks (GGUF has no 2-bit type with a per-32 scale${w2Midrise ? '; midrise levels +-0.5 s, +-1.5 s as codes 2q + 1' : ''}); 2.5 bits a weight packed`,
            `ms per step: f32 ${r4.r.ms_per_step_f32.toFixed(0)}, QAT Q4_0 ${r4.r.ms_per_step_qat.toFixed(0)}, QAT W2 ${r2.r.ms_per_step_qat.toFixed(0)}`,
            'error' in check
              ? `llama.cpp check: ${check.error}`
              : `llama.cpp on ${r4.file}: next-token probabilities within ${check.maxDiff.toExponential(2)} of nibble's over ${ids.length} positions (bound ${check.bound.toExponential(2)}): ${check.ok ? 'same' : 'DIFFERENT'}`,
            `${seconds.toFixed(0)} s on ${adapter}`,
          ].join('\n'),
        );
      }
      return 'error' in check || !check.ok ? 1 : 0;
    } finally {
      f32lm.dispose();
      q4lm.dispose();
    }
  } finally {
    ctx.destroy();
  }
}
