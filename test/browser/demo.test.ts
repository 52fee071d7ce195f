// The demo (dist/demo, `npm run build:demo`) end to end in headless Chromium: text from the bundled language model
// (equal to the library's in Node), chat, Stop, bad model files and the stored-model cache; inference on a test
// digit, a bad model file, a few QAT steps with the live chart, a lost device and its restart, QAT of the language
// model (samples, losses, the GGUF download), the quick bench, screenshots of every tab under test-output/. Errors
// thrown in the page fail the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHeadless, packageRoot, type Headless } from '../../runtime/headless.js';
import { createNodeContext } from '../../runtime/node.js';
import { gguf, parseGgufFile } from '../../src/io/gguf.js';
import { encodeModel } from '../../src/io/model.js';
import { LanguageModel } from '../../src/lm/model.js';
import { synthLlamaGguf } from '../../src/lm/synth.js';
import { GGUF_ARCHS } from '../../src/nn/llama_config.js';
import { initMlp } from '../../src/nn/mlp.js';
import { floatModel } from '../../src/mlp/qat.js';

const OUT = join(packageRoot(), 'test-output');
let h: Headless;
const failed: string[] = [];
/** Rows of the quick suite run by the test (NIBBLE_DEMO_BENCH_FILTER overrides; '' runs the whole quick mode). */
const BENCH_FILTER = process.env.NIBBLE_DEMO_BENCH_FILTER ?? '';
const BENCH_PEERS = process.env.NIBBLE_DEMO_BENCH_PEERS !== '0';

const text = (sel: string) => h.page.$eval(sel, (e) => (e as HTMLElement).textContent ?? '');
const hidden = (sel: string) => h.page.$eval(sel, (e) => (e as HTMLElement).hidden);
async function tab(name: string) {
  await h.page.click(`#tabs button[data-tab="${name}"]`);
}
async function shot(name: string) {
  await h.page.screenshot({ path: join(OUT, `demo-${name}.png`) as `${string}.png`, fullPage: true });
}
async function upload(name: string, bytes: Uint8Array, input_ = '#run-file') {
  const path = join(OUT, name);
  writeFileSync(path, bytes);
  const input = await h.page.$(input_);
  await (input as unknown as { uploadFile: (p: string) => Promise<void> }).uploadFile(path);
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  h = await openHeadless({ dir: join(packageRoot(), 'dist', 'demo'), timeoutMs: 120_000 });
  h.page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await h.page.setViewport({ width: 1200, height: 900 });
  await h.page.waitForFunction('window.demoReady !== undefined');
  const ready = await h.evaluate<string>('return window.demoReady');
  if (ready !== 'ready') throw new Error(`demo did not start: ${ready}: ${await text('#no-webgpu-reason')}`);
  await h.page.waitForFunction(() => document.querySelector('#run-models')?.textContent?.includes('digits-f32.safetensors'));
});

/** Waits until the Generate tab has loaded a model (its config table names the arch) or shows an error. */
async function genLoaded(name: string) {
  await h.page.waitForFunction((n) => ((document.querySelector('#gen-model')?.textContent ?? '').startsWith(n) && (document.querySelector('#gen-loading') as HTMLElement).hidden) || !(document.querySelector('#gen-error') as HTMLElement).hidden, { timeout: 120_000 }, name);
  expect(await hidden('#gen-error'), await text('#gen-error')).toBe(true);
}
/** Clicks generate/send and waits for the figures (a finished generation) or an error. */
async function genRun() {
  await h.page.click('#gen-go');
  await h.page.waitForFunction(() => (document.querySelector('#gen-figures') as HTMLElement).dataset.stop !== undefined || !(document.querySelector('#gen-error') as HTMLElement).hidden, { timeout: 120_000 });
}
const setValue = (id: string, v: string) => h.page.$eval(id, (e, x) => ((e as HTMLInputElement).value = x), v);
/** Waits for the Generate tab's error to match `re` (a stale message from an earlier step does not count). */
async function genError(re: RegExp) {
  await h.page
    .waitForFunction((src) => !(document.querySelector('#gen-error') as HTMLElement).hidden && new RegExp(src).test(document.querySelector('#gen-error')?.textContent ?? ''), { timeout: 60_000 }, re.source)
    .catch(() => {});
  expect(await text('#gen-error')).toMatch(re);
}
/** A tiny Llama GGUF with a chat template (seeded F32 weights, byte-level SPM vocabulary, context 64). */
const chatModel = () =>
  synthLlamaGguf({ dim: 64, layers: 1, heads: 2, ffn: 128, ctx: 64, seed: 5, metadata: { 'tokenizer.chat_template': gguf.str("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}") } });
afterAll(async () => {
  await h?.close();
});

describe('demo (headless chromium)', () => {
  it('Generate: the first tab; the bundled model loads in the worker and its greedy text equals the library in Node', async () => {
    expect(await h.page.$eval('#tabs button', (e) => (e as HTMLElement).dataset.tab)).toBe('generate');
    expect(await hidden('#tab-generate')).toBe(false);
    expect(await text('#tab-generate')).toMatch(/Tiny Shakespeare/);
    await genLoaded('shakespeare-q4_0.gguf');
    const config = await text('#gen-config');
    expect(config).toMatch(/architecture\s*llama/);
    expect(config).toMatch(/heads\s*4 query, 2 key\/value \(head dim 16\)/);
    expect(config).toMatch(/vocabulary\s*260/);
    expect(config).toMatch(/Q4_0 ×15/);
    expect(await h.page.$eval('#gen-mode-chat', (e) => (e as HTMLInputElement).disabled)).toBe(true); // no chat template
    const prompt = 'ROMEO:';
    await setValue('#gen-prompt', prompt);
    await setValue('#gen-max', '8');
    await setValue('#gen-temperature', '0');
    await setValue('#gen-seed', '1');
    await genRun();
    expect(await hidden('#gen-error'), await text('#gen-error')).toBe(true);
    const got = await text('#gen-text');
    const ids = (await h.page.$eval('#gen-figures', (e) => (e as HTMLElement).dataset.ids!)).split(',').map(Number);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThanOrEqual(8);
    expect(got.length).toBeGreaterThan(0);
    const figures = await text('#gen-figures');
    expect(figures).toMatch(/prompt\s*\d+ tokens at [\d.]+ tok\/s/);
    expect(figures).toMatch(/decode\s*\d+ tokens at [\d.]+ tok\/s/);
    expect(figures).toMatch(/time to first token\s*\d+ ms/);
    expect(figures).toMatch(/GPU memory held\s*[\d.]+ (KiB|MiB)/);
    expect(figures).toMatch(/dispatches per token\s*\d+ \(one submit\)/);
    // What `nibble generate --temperature 0 --max-tokens 8 --prompt <same>` prints, through the library in Node.
    const ctx = await createNodeContext();
    try {
      const lm = await LanguageModel.load(ctx, join(packageRoot(), 'demo/public/models/shakespeare-q4_0.gguf'));
      let want = '';
      for await (const piece of lm.generate(prompt, { temperature: 0, maxTokens: 8 })) want += piece;
      expect(ids).toEqual(lm.lastStats!.ids);
      expect(got).toBe(want);
      lm.dispose();
    } finally {
      ctx.destroy();
    }
    await shot('generate');
    await h.page.screenshot({ path: '/tmp/generate-tab.png', fullPage: true });
  });

  it('Generate: Stop ends a long generation, and the page stays responsive meanwhile', async () => {
    await setValue('#gen-max', '400');
    await setValue('#gen-temperature', '0.8');
    await h.page.click('#gen-go');
    await h.page.waitForFunction(() => (document.querySelector('#gen-text')?.textContent ?? '').length > 0, { timeout: 60_000 });
    // The main thread answers timers promptly while the worker generates.
    const lag = await h.evaluate<number>('let worst = 0; for (let i = 0; i < 10; i++) { const t = performance.now(); await new Promise((r) => setTimeout(r, 0)); worst = Math.max(worst, performance.now() - t); } return worst');
    expect(lag).toBeLessThan(250);
    expect(await h.page.$eval('#gen-stop', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    await h.page.click('#gen-stop');
    await h.page.waitForFunction(() => (document.querySelector('#gen-figures') as HTMLElement).dataset.stop !== undefined, { timeout: 60_000 });
    expect(await h.page.$eval('#gen-figures', (e) => (e as HTMLElement).dataset.stop)).toBe('abort');
    expect(await text('#gen-figures')).toMatch(/stopped by\s*the stop button/);
  });

  it('Generate: chat mode with a file that has a chat template; bad files and a too-long prompt show their errors', async () => {
    await upload('chat-tiny.gguf', chatModel(), '#gen-file');
    await genLoaded('chat-tiny.gguf');
    expect(await text('#gen-config')).toMatch(/chat template\s*yes/);
    await h.page.click('#gen-mode-chat');
    expect(await hidden('#gen-chat-mode')).toBe(false);
    await setValue('#gen-message', 'Hello there');
    await setValue('#gen-max', '6');
    await setValue('#gen-temperature', '0');
    await genRun();
    expect(await hidden('#gen-error'), await text('#gen-error')).toBe(true);
    const roles = await h.page.$$eval('#gen-messages li', (ls) => ls.map((l) => [l.className, l.textContent ?? '']));
    expect(roles.map((r) => r[0])).toEqual(['user', 'assistant']);
    expect(roles[0]![1]).toBe('Hello there');
    expect(roles[1]![1].length).toBeGreaterThan(0);
    await shot('generate-chat');
    // A prompt longer than the context (64 tokens).
    await h.page.click('#gen-mode-text');
    await setValue('#gen-prompt', 'x'.repeat(100));
    await h.page.click('#gen-go');
    await genError(/the prompt has 10\d tokens; the context holds 64/);
    // Not a GGUF file; a GGUF of an architecture nibble does not run. The loaded model stays.
    await upload('not-a-model.gguf', new TextEncoder().encode('GGML this is not a gguf file'), '#gen-file');
    await genError(/not-a-model.gguf: not a GGUF file/);
    const mamba = synthLlamaGguf({ dim: 64, layers: 1, heads: 2, ffn: 128, metadata: { 'general.architecture': gguf.str('mamba') } });
    await h.page.$eval('#gen-error', (e) => ((e as HTMLElement).hidden = true));
    await upload('mamba.gguf', mamba, '#gen-file');
    await genError(new RegExp(`'general.architecture' is 'mamba', which nibble does not run \\(supported: ${GGUF_ARCHS.join(', ')}\\)`));
    expect(await text('#gen-model')).toMatch(/^chat-tiny.gguf/);
    expect(await h.page.$eval('#gen-go', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
  });

  it('Generate: a model by URL is read by ranges, kept in the browser, read from there after a reload, and cleared', async () => {
    await h.page.click('#gen-clear-stored');
    await h.page.waitForFunction(() => document.querySelector('#gen-stored')?.textContent === 'stored models: none');
    await setValue('#gen-url', 'models/nibble-tiny.gguf');
    await h.page.click('#gen-open-url');
    await genLoaded('nibble-tiny.gguf');
    expect(await text('#gen-model')).toMatch(/read from the network by HTTP ranges, now kept in this browser/);
    await h.page.waitForFunction(() => document.querySelector('#gen-stored')?.getAttribute('data-count') === '1');
    expect(await text('#gen-stored')).toMatch(/models\/nibble-tiny.gguf \([\d.]+ KiB\); [\d.]+ KiB in all/);
    await h.page.reload();
    await h.page.waitForFunction('window.demoReady === "ready"');
    await genLoaded('shakespeare-q4_0.gguf'); // the bundled model, loaded at start
    await h.page.waitForFunction(() => document.querySelector('#gen-stored')?.getAttribute('data-count') === '1');
    await setValue('#gen-url', 'models/nibble-tiny.gguf');
    await h.page.click('#gen-open-url');
    await genLoaded('nibble-tiny.gguf');
    await h.page.waitForFunction(() => /storage/.test(document.querySelector('#gen-model')?.textContent ?? ''));
    expect(await text('#gen-model')).toMatch(/read from this browser's storage/);
    await setValue('#gen-max', '4');
    await setValue('#gen-temperature', '0');
    await genRun();
    expect(await hidden('#gen-error'), await text('#gen-error')).toBe(true);
    await h.page.click('#gen-clear-stored');
    await h.page.waitForFunction(() => document.querySelector('#gen-stored')?.textContent === 'stored models: none');
    await h.page.waitForFunction(() => document.querySelector('#run-models')?.textContent?.includes('digits-f32.safetensors'));
  });

  it('Run: predicts test digits with the bundled W4 and f32 models', async () => {
    await tab('run');
    for (const i of [0, 1, 2]) {
      await h.page.$eval('#run-index', (e, v) => ((e as HTMLInputElement).value = String(v)), i);
      await h.page.$eval('#run-pred-quant', (e) => (e.textContent = '')).catch(() => {});
      await h.page.click('#run-pick');
      await h.page.waitForFunction(() => /^\d$/.test(document.querySelector('#run-pred-quant')?.textContent ?? ''));
      const label = Number((await text('#run-label')).match(/label (\d)/)![1]);
      expect(Number(await text('#run-pred-quant')), `test image ${i}`).toBe(label);
      expect(Number(await text('#run-pred-float')), `test image ${i}`).toBe(label);
    }
    expect(await text('#run-result')).toMatch(/fused W4A16/);
    expect(await hidden('#run-error')).toBe(true);
    await shot('run');
  });

  it('Run: a drawn digit is downsampled to 8x8 and predicted by both models', async () => {
    const box = (await (await h.page.$('#run-draw'))!.boundingBox())!;
    await h.page.mouse.move(box.x + box.width / 2, box.y + 20);
    await h.page.mouse.down();
    for (let y = 20; y <= box.height - 20; y += 8) await h.page.mouse.move(box.x + box.width / 2, box.y + y);
    await h.page.mouse.up();
    await h.page.$eval('#run-pred-quant', (e) => (e.textContent = ''));
    await h.page.click('#run-predict-drawing');
    await h.page.waitForFunction(() => /^\d$/.test(document.querySelector('#run-pred-quant')?.textContent ?? ''));
    expect(await text('#run-label')).toBe('your drawing');
    expect(await text('#run-pred-float')).toMatch(/^\d$/);
    await h.page.click('#run-clear');
    await h.page.click('#run-predict-drawing');
    await h.page.waitForFunction(() => !(document.querySelector('#run-error') as HTMLElement).hidden);
    expect(await text('#run-error')).toMatch(/canvas is empty/);
    await h.page.click('#run-pick');
    await h.page.waitForFunction(() => (document.querySelector('#run-error') as HTMLElement).hidden);
  });

  it('Run: a bad file gets a message naming the problem, and the page keeps working', async () => {
    await upload('not-a-model.safetensors', new TextEncoder().encode('this is not a safetensors file at all'));
    await h.page.waitForFunction(() => !(document.querySelector('#run-error') as HTMLElement).hidden);
    expect(await text('#run-error')).toMatch(/not-a-model\.safetensors/);
    // A model of the wrong shape for the digits (32 inputs).
    await upload('wrong-inputs.safetensors', encodeModel(floatModel(initMlp([32, 16, 10], 0))));
    await h.page.waitForFunction(() => /wrong-inputs/.test(document.querySelector('#run-error')?.textContent ?? ''));
    expect(await text('#run-error')).toMatch(/32-16-10 \(takes 32 inputs.*needs 64 inputs/);
    // Tensors that disagree with the metadata: sizes say 64-32-10, layer 0 holds 16 rows.
    const q = floatModel(initMlp([64, 16, 10], 0));
    q.sizes = [64, 32, 10];
    await upload('bad-shape.safetensors', encodeModel(q));
    await h.page.waitForFunction(() => /bad-shape/.test(document.querySelector('#run-error')?.textContent ?? ''));
    expect(await text('#run-error')).toMatch(/tensor 'layers\.0\.\w+' is F32 \[16.*expected F32 \[32/);
    await shot('bad-file');
    await h.page.$eval('#run-index', (e) => ((e as HTMLInputElement).value = '3'));
    await h.page.click('#run-pick');
    await h.page.waitForFunction(() => (document.querySelector('#run-error') as HTMLElement).hidden && /#3/.test(document.querySelector('#run-label')?.textContent ?? ''));
    await h.page.waitForFunction(() => /^\d$/.test(document.querySelector('#run-pred-quant')?.textContent ?? ''));
  });

  it('Train: a few QAT steps fill the chart, the loss falls, the model converts', async () => {
    await tab('train');
    await h.page.select('#train-start', 'fresh');
    const set = (id: string, v: string) => h.page.$eval(id, (e, x) => ((e as HTMLInputElement).value = x), v);
    await set('#train-hidden', '32');
    await set('#train-epochs', '1');
    await set('#train-lr', '0.01');
    await set('#train-every', '8');
    await h.page.click('#train-go');
    await h.page.waitForFunction(() => !(document.querySelector('#train-download') as HTMLElement).hidden || !(document.querySelector('#train-error') as HTMLElement).hidden);
    expect(await hidden('#train-error'), await text('#train-error')).toBe(true);
    const d = await h.page.$eval('#train-chart', (e) => ({ ...(e as HTMLElement).dataset }));
    const losses = JSON.parse(d.losses!) as number[];
    expect(losses.length).toBe(22); // floor(1437 / 64) steps in one epoch
    expect(Number(d.accPoints)).toBeGreaterThanOrEqual(3); // before training, steps 8, 16 and the end
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean(losses.slice(-4))).toBeLessThan(0.8 * mean(losses.slice(0, 4)));
    expect(await text('#train-result')).toMatch(/converted W4 g32/);
    await shot('train');
  });

  it('Train: a device lost mid-training is reported and the run restarts from the last checkpoint', async () => {
    await h.page.$eval('#train-every', (e) => ((e as HTMLInputElement).value = '4'));
    await h.evaluate('window.nibbleDemo.loseDeviceAtStep(6)');
    await h.page.click('#train-go');
    await h.page.waitForFunction(() => !(document.querySelector('#train-lost') as HTMLElement).hidden || !(document.querySelector('#train-download') as HTMLElement).hidden);
    expect(await hidden('#train-lost')).toBe(false);
    expect(await text('#train-lost-text')).toMatch(/device was lost.*last checkpoint is from step 4\./);
    await shot('device-lost');
    await h.page.click('#train-restart');
    await h.page.waitForFunction(() => !(document.querySelector('#train-download') as HTMLElement).hidden || !(document.querySelector('#train-error') as HTMLElement).hidden);
    expect(await hidden('#train-error'), await text('#train-error')).toBe(true);
    expect(await hidden('#train-lost')).toBe(true);
    const d = await h.page.$eval('#train-chart', (e) => ({ ...(e as HTMLElement).dataset }));
    expect(JSON.parse(d.losses!).length).toBe(22); // steps 1..4 kept, 5..22 from the resumed run
    // Inference works on the new context too.
    await tab('run');
    await h.page.click('#run-pick');
    await h.page.waitForFunction(() => /^\d$/.test(document.querySelector('#run-pred-float')?.textContent ?? ''));
  });

  it('Train: AdaQAT learns per-layer bit-widths in the page and shows the ones it chose', async () => {
    await tab('train');
    const set = (id: string, v: string) => h.page.$eval(id, (e, x) => ((e as HTMLInputElement).value = x), v);
    await set('#train-every', '0');
    await h.page.select('#train-bits', '8');
    await set('#train-lambda', '2');
    await h.page.$eval('#train-adaqat', (e) => ((e as HTMLInputElement).checked = true));
    await h.page.click('#train-go');
    await h.page.waitForFunction(() => !(document.querySelector('#train-download') as HTMLElement).hidden || !(document.querySelector('#train-error') as HTMLElement).hidden);
    expect(await hidden('#train-error'), await text('#train-error')).toBe(true);
    const bits = await h.page.$$eval('#train-layers tr[data-weight-bits]', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.weightBits)));
    expect(bits).toHaveLength(3);
    // lambda 2 is a heavy size cost: from 8 bits, the bit-widths come down.
    expect(bits.every((b) => Number.isInteger(b) && b >= 2 && b <= 8)).toBe(true);
    expect(Math.min(...bits)).toBeLessThan(8);
    expect(await text('#train-layers')).toMatch(/bit-widths AdaQAT chose \(22 updates/);
    expect(await text('#train-result')).toMatch(new RegExp(`converted AdaQAT W ${bits.join('/')} g32`));
    await shot('train-adaqat');
    await h.page.$eval('#train-adaqat', (e) => ((e as HTMLInputElement).checked = false));
  });

  it('Train: bad language-model settings get a message naming the field, before any training', async () => {
    await tab('train');
    await h.page.select('#train-model', 'lm');
    expect(await hidden('#train-lm')).toBe(false);
    expect(await hidden('#train-digits')).toBe(true);
    const set = (id: string, v: string) => h.page.$eval(id, (e, x) => ((e as HTMLInputElement).value = x), v);
    for (const [id, bad, re] of [
      ['#train-lm-steps', '0', /^steps '0' is not an integer >= 1$/],
      ['#train-lm-batch', '2.5', /^batch '2.5' is not an integer >= 1$/],
      ['#train-lm-val', '', /^validation windows '' is not an integer >= 1$/],
      ['#train-lm-lr', 'fast', /^learning rate 'fast' is not a positive number$/],
      ['#train-lm-seq', '200', /^sequence length 200 exceeds the model's context \(128\)$/],
    ] as const) {
      const good = await h.page.$eval(id, (e) => (e as HTMLInputElement).value);
      await set(id, bad);
      await h.page.$eval('#train-lm-error', (e) => ((e as HTMLElement).hidden = true));
      await h.page.click('#train-lm-go');
      await h.page.waitForFunction(() => !(document.querySelector('#train-lm-error') as HTMLElement).hidden && !(document.querySelector('#train-lm-go') as HTMLButtonElement).disabled, { timeout: 120_000 });
      expect(await text('#train-lm-error'), id).toMatch(re);
      expect(await hidden('#train-lm-download')).toBe(true);
      await set(id, good);
    }
    // LSQ learns scales, static fixes its own: not offered with a format whose scale rule is fixed (Q4_0), offered with W2 g32.
    for (const v of ['lsq', 'static', 'adaqat']) expect(await h.page.$eval(`#train-lm-method option[value="${v}"]`, (e) => (e as HTMLOptionElement).disabled), v).toBe(true);
    await h.page.select('#train-lm-format', 'w2');
    for (const v of ['lsq', 'static', 'adaqat']) expect(await h.page.$eval(`#train-lm-method option[value="${v}"]`, (e) => (e as HTMLOptionElement).disabled), v).toBe(false);
    await h.page.select('#train-lm-format', 'q4_0');
  });

  it('Train: the language model QAT-trains in the page: live chart, PTQ/QAT/converted losses, samples, a GGUF download', async () => {
    const set = (id: string, v: string) => h.page.$eval(id, (e, x) => ((e as HTMLInputElement).value = x), v);
    await set('#train-lm-steps', '3');
    await set('#train-lm-batch', '2');
    await set('#train-lm-seq', '32');
    await set('#train-lm-val', '2');
    const t0 = performance.now();
    await h.page.click('#train-lm-go');
    await h.page.waitForFunction(() => !(document.querySelector('#train-lm-download') as HTMLElement).hidden || !(document.querySelector('#train-lm-error') as HTMLElement).hidden, { timeout: 600_000 });
    console.log(`lm QAT in the page (3 steps of 2 x 32): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(await hidden('#train-lm-error'), await text('#train-lm-error')).toBe(true);
    const losses = JSON.parse((await h.page.$eval('#train-lm-chart', (e) => (e as HTMLElement).dataset.losses))!) as number[];
    expect(losses).toHaveLength(3);
    expect(losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
    const rows = Object.fromEntries<number>(await h.page.$$eval('#train-lm-result tr[data-row]', (rs) => rs.map((r) => [(r as HTMLElement).dataset.row!, Number((r as HTMLElement).dataset.loss)] as [string, number])));
    expect(Object.keys(rows)).toEqual(['f32', 'ptq', 'qat', 'converted']); // no baseline: nothing unmeasured is shown
    for (const [k, v] of Object.entries(rows)) expect(v > 0.5 && v < 6, `${k}: ${v}`).toBe(true); // nats per byte
    // The converted GGUF holds the weights QAT trained against (ggml's Q4_0 rule): the same loss up to f32 order.
    expect(Math.abs(rows.converted - rows.qat)).toBeLessThan(1e-3);
    const table = await text('#train-lm-result');
    expect(table).toMatch(/PTQ Q4_0 \(before QAT\)/);
    expect(table).toMatch(/converted Q4_0 \(GGUF, on the inference kernels\)[\d.]+137 KiB/);
    for (const id of ['#train-lm-sample-f32', '#train-lm-sample-q']) {
      const s = await text(id);
      expect(s.startsWith('ROMEO:\n'), id).toBe(true);
      expect(s.length, id).toBeGreaterThan(150);
      expect(s.length, id).toBeLessThanOrEqual(210);
    }
    // The download: Chromium saves the blob the link points at, a GGUF file.
    const dir = join(OUT, 'lm-download');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const cdp = await h.page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
    const name = await h.page.$eval('#train-lm-download', (e) => (e as HTMLAnchorElement).download);
    expect(name).toBe('shakespeare-qat-q4_0.gguf');
    await h.page.click('#train-lm-download');
    const file = join(dir, name);
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    const bytes = readFileSync(file);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('GGUF');
    expect(parseGgufFile(new Uint8Array(bytes)).metadata['tokenizer.ggml.model']?.value).toBe('llama'); // self-contained
    await cdp.detach();
    await shot('train-lm');
  }, 600_000);

  it('Train: AdaQAT on the language model in the page learns each layer\'s bits and converts at them', async () => {
    const set = (id: string, v: string) => h.page.$eval(id, (e, x) => ((e as HTMLInputElement).value = x), v);
    await h.page.select('#train-lm-format', 'w4');
    await h.page.select('#train-lm-method', 'adaqat');
    await set('#train-lm-steps', '5'); // one bit-width update (every 5 steps)
    await h.page.click('#train-lm-go');
    await h.page.waitForFunction(() => !(document.querySelector('#train-lm-download') as HTMLElement).hidden || !(document.querySelector('#train-lm-error') as HTMLElement).hidden, { timeout: 600_000 });
    expect(await hidden('#train-lm-error'), await text('#train-lm-error')).toBe(true);
    const bits = JSON.parse((await h.page.$eval('#train-lm-result tr[data-row="bits"]', (e) => (e as HTMLElement).dataset.bits))!) as Record<string, number>;
    expect(Object.keys(bits)).toHaveLength(15);
    expect(Object.values(bits).every((b) => Number.isInteger(b) && b >= 2 && b <= 8)).toBe(true);
    const rows = Object.fromEntries<number>(await h.page.$$eval('#train-lm-result tr[data-row]', (rs) => rs.filter((r) => (r as HTMLElement).dataset.loss).map((r) => [(r as HTMLElement).dataset.row!, Number((r as HTMLElement).dataset.loss)] as [string, number])));
    expect(Math.abs(rows.converted - rows.qat)).toBeLessThan(1e-3); // the codes QAT trained, f16-rounded scales
    expect(await text('#train-lm-result')).toMatch(/each layer in Q4_0 \(<= 4 bits\) or Q8_0 blocks/);
    // W2 with LSQ: the midrise grid from the least-squared-error scales, as the CLI's default; its start is shown.
    await h.page.select('#train-lm-format', 'w2');
    await h.page.select('#train-lm-method', 'lsq');
    await h.page.click('#train-lm-go');
    await h.page.waitForFunction(() => !(document.querySelector('#train-lm-download') as HTMLElement).hidden || !(document.querySelector('#train-lm-error') as HTMLElement).hidden, { timeout: 600_000 });
    expect(await hidden('#train-lm-error'), await text('#train-lm-error')).toBe(true);
    const w2 = Object.fromEntries<number>(await h.page.$$eval('#train-lm-result tr[data-row]', (rs) => rs.map((r) => [(r as HTMLElement).dataset.row!, Number((r as HTMLElement).dataset.loss)] as [string, number])));
    expect(Object.keys(w2)).toEqual(['f32', 'ptq', 'start', 'qat', 'converted']);
    expect(w2.start).toBeLessThan(w2.ptq - 0.05); // the midrise grid's least-squared-error start beats the rule's PTQ
    expect(Math.abs(w2.converted - w2.qat)).toBeLessThan(1e-3);
    expect(await text('#train-lm-result')).toMatch(/QAT at its start \(midrise grid, least-squared-error scales\)[\s\S]*2-bit midrise codes as 2q \+ 1 in Q4_0 blocks/);
    await h.page.select('#train-lm-method', 'ste');
    await h.page.select('#train-lm-format', 'q4_0');
    await h.page.select('#train-model', 'digits');
  }, 600_000);

  it('Bench: the quick mode runs in the page with the CLI table and chart', async () => {
    await tab('bench');
    // The whole quick mode with its peers (onnxruntime-web, TF.js) served from the demo's origin.
    await h.page.$eval('#bench-peers', (e, on) => ((e as HTMLInputElement).checked = on), BENCH_PEERS);
    await h.page.$eval('#bench-filter', (e, f) => ((e as HTMLInputElement).value = f), BENCH_FILTER);
    await h.page.click('#bench-go');
    await h.page.waitForFunction(() => (document.querySelector('#bench-table') as HTMLElement).dataset.rows !== undefined || !(document.querySelector('#bench-error') as HTMLElement).hidden);
    expect(await hidden('#bench-error'), await text('#bench-error')).toBe(true);
    const table = await text('#bench-table');
    expect(table).toMatch(/^adapter /);
    expect(table).toMatch(/median ms/);
    expect(table).not.toMatch(/OUTPUT DISAGREES/);
    expect(table).not.toMatch(/  error: /);
    expect(await h.page.$eval('#bench-chart svg', (e) => e.tagName)).toBe('svg');
    if (BENCH_PEERS) {
      expect(table).toMatch(/onnxruntime-web/);
      expect(table).toMatch(/TF\.js/);
    }
    const a = await h.evaluate<boolean>('return window.nibbleDemo.fallback');
    expect(await hidden('#bench-fallback')).toBe(!a); // the note shows exactly on a software adapter
    await shot('bench');
  });

  it('GGUF: the bundled sample opens lazily, lists every type with its kernel, and its weights run on the fused matmul', async () => {
    await tab('gguf');
    await h.page.click('#gguf-sample');
    await h.page.waitForFunction(() => document.querySelector('#gguf-tensors')?.getAttribute('data-rows') === '8');
    expect(await text('#gguf-summary')).toMatch(/sample.gguf: GGUF v3, 3.6 KiB, 8 tensors/);
    const types = await text('#gguf-types');
    expect(types).toMatch(/Q4_K.*matmul_w4a16 \(q4_k: 4.625 bits a weight, the file 4.50\)/);
    expect(types).toMatch(/Q6_K.*matmul_w4a16 bits=8, matmul_w8a8/);
    for (const [name, want] of [['blk.0.ffn_up.weight', /Q4_K \[3, 512\] on matmul_w4a16 \(\w+ path, compact k6 scales, f16 \w+\), 1 x 512 x 3: [\d.]+ ms/], ['output.weight', /Q6_K \[2, 512\] on matmul_w4a16 bits=8/]] as const) {
      await h.page.select('#gguf-tensor', name);
      await h.page.$eval('#gguf-result', (e) => (e.textContent = ''));
      await h.page.click('#gguf-run');
      await h.page.waitForFunction(() => (document.querySelector('#gguf-result')?.textContent ?? '') !== '' || !(document.querySelector('#gguf-error') as HTMLElement).hidden);
      expect(await hidden('#gguf-error'), await text('#gguf-error')).toBe(true);
      const r = await text('#gguf-result');
      expect(r).toMatch(want);
      expect(r).toMatch(/sampled columns within the bound/);
    }
    await shot('gguf');
    // The same sample by URL: HTTP range requests from the page (the test server answers them with 206).
    await h.page.$eval('#gguf-url', (e) => ((e as HTMLInputElement).value = 'models/sample.gguf'));
    await h.page.$eval('#gguf-summary', (e) => (e.textContent = ''));
    await h.page.click('#gguf-open-url');
    await h.page.waitForFunction(() => /sample.gguf: GGUF v3/.test(document.querySelector('#gguf-summary')?.textContent ?? '') || !(document.querySelector('#gguf-error') as HTMLElement).hidden);
    expect(await hidden('#gguf-error'), await text('#gguf-error')).toBe(true);
    await h.page.select('#gguf-tensor', 'blk.1.ffn_up.weight');
    await h.page.$eval('#gguf-result', (e) => (e.textContent = ''));
    await h.page.click('#gguf-run');
    await h.page.waitForFunction(() => (document.querySelector('#gguf-result')?.textContent ?? '') !== '' || !(document.querySelector('#gguf-error') as HTMLElement).hidden);
    expect(await text('#gguf-result')).toMatch(/blk.1.ffn_up.weight: Q5_K \[2, 512\] on matmul_w4a16 bits=8 .*within the bound/);
    // Not a GGUF file: the error names it and the offset, and the page keeps working.
    await upload('not-a-model.gguf', new TextEncoder().encode('GGML this is not a gguf file'), '#gguf-file');
    await h.page.waitForFunction(() => !(document.querySelector('#gguf-error') as HTMLElement).hidden);
    expect(await text('#gguf-error')).toMatch(/not-a-model.gguf: not a GGUF file: magic "GGML", expected "GGUF" \(offset 0\)/);
    await h.page.click('#gguf-sample');
    await h.page.waitForFunction(() => (document.querySelector('#gguf-error') as HTMLElement).hidden);
  });

  it('Capabilities tab and no page errors', async () => {
    await tab('caps');
    expect(await text('#caps-table')).toMatch(/shader-f16/);
    expect(await text('#variants-table')).toMatch(/variant/);
    await shot('caps');
    expect(h.pageErrors, [...h.pageErrors, ...failed].join('\n')).toEqual([]);
  });
});
