// Language-model generation bench (issue 17, "Speed"): per model and engine, prompt tokens/s, decode tokens/s, time
// to first token, dispatches and submits per token, CPU and host time per decode token, GPU bytes held, and how many
// of the greedy tokens agree with llama.cpp's CPU build on the same prompt. Not a kernel-row bench: `nibble bench
// --filter generate` runs this file's runner (bench/generate-node.ts) instead of bench/harness.ts.
//
// This file runs in Node and in the page (no Node-only imports): measureNibble, the report's types, agreement and
// the table. The prompt is token ids (BOS, then seeded byte tokens), so every engine sees the very same ids.
import type { GpuContext } from '../src/gpu/context.js';
import { LanguageModel, type ModelSource } from '../src/lm/model.js';
import { rng } from '../src/ref/random.js';

export interface GenRow {
  model: string;
  /** 'nibble' or 'llama.cpp (node-llama-cpp CPU)'. */
  engine: string;
  side: 'nibble' | 'peer';
  runtime: 'node' | 'browser';
  status: 'ok' | 'error' | 'skipped';
  /** Facts: threads, timing method, why a row was skipped or failed. */
  note: string;
  promptTokens: number;
  /** Greedy tokens generated (the first comes from the prefill; decode tok/s counts the other N-1 steps). */
  decodeTokens: number;
  loadMs: number | null;
  promptTokensPerSecond: number | null;
  decodeTokensPerSecond: number | null;
  timeToFirstTokenMs: number | null;
  dispatchesPerToken: number | null;
  submitsPerToken: number | null;
  /** Process CPU time (user + system) per decode step: includes SwiftShader's work on a CPU adapter. */
  cpuMsPerToken: number | null;
  /** Wall time nibble spends on the host per decode step: writing inputs, encoding, queue.submit (not the wait). */
  hostMsPerToken: number | null;
  gpuBytes: number | null;
  ids: number[];
  agreement: Agreement | null;
}

export interface Agreement {
  /** Tokens compared: the first n greedy tokens of both. */
  n: number;
  same: number;
  share: number;
  /** Index of the first differing token, or null when all n agree. */
  firstDivergence: number | null;
}

export interface GenModelInfo {
  name: string;
  shape: string;
  weightType: string;
  params: number;
  fileBytes: number;
  promptTokens: number;
  decodeTokens: number;
}

export interface GenReport {
  kind: 'generate';
  date: string;
  quick: boolean;
  adapter: { runtime: string; vendor: string; architecture: string; description: string; fallback: boolean };
  judge: string;
  models: GenModelInfo[];
  rows: GenRow[];
  /** Per model, each nibble row against each peer: peer time / nibble time (above 1: nibble is faster). */
  ratios: { model: string; nibble: string; peer: string; prompt: number | null; decode: number | null }[];
}

/** BOS (id 1 in the byte vocabularies here), then n-1 seeded byte tokens (ids 3..258: <0x00>..<0xFF>). */
export function promptIds(n: number, seed = 17): number[] {
  const r = rng(seed);
  return [1, ...Array.from({ length: n - 1 }, () => 3 + Math.floor(r() * 256))];
}

export function agreement(ids: readonly number[], judge: readonly number[]): Agreement {
  const n = Math.min(ids.length, judge.length);
  let same = 0;
  let firstDivergence: number | null = null;
  for (let i = 0; i < n; i++) {
    if (ids[i] === judge[i]) same++;
    else firstDivergence ??= i;
  }
  return { n, same, share: n ? same / n : 0, firstDivergence };
}

export function emptyRow(model: string, engine: string, side: GenRow['side'], runtime: GenRow['runtime'], P: number, N: number): GenRow {
  return {
    model, engine, side, runtime, status: 'ok', note: '', promptTokens: P, decodeTokens: N, loadMs: null, promptTokensPerSecond: null, decodeTokensPerSecond: null,
    timeToFirstTokenMs: null, dispatchesPerToken: null, submitsPerToken: null, cpuMsPerToken: null, hostMsPerToken: null, gpuBytes: null, ids: [], agreement: null,
  };
}

const cpuUsage = (): { user: number; system: number } | null => {
  const p = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  return p?.cpuUsage ? p.cpuUsage() : null;
};

/** Counts submits and sums the synchronous host time of ctx.submit (encode + queue.submit) and ctx.write. */
function instrument(ctx: GpuContext): { submits: number; hostMs: number; restore: () => void } {
  const s = { submits: 0, hostMs: 0, restore: () => {} };
  const submit = ctx.submit;
  const write = ctx.write;
  const c = ctx as unknown as Record<string, unknown>;
  c.submit = (labels: string[], fn: (e: GPUCommandEncoder) => void) => {
    s.submits++;
    const t = performance.now();
    const p = submit.call(ctx, labels, fn); // runs synchronously up to its first await: encode and queue.submit
    s.hostMs += performance.now() - t;
    return p;
  };
  c.write = (buffer: GPUBuffer, data: ArrayBufferView, offset?: number) => {
    const t = performance.now();
    write.call(ctx, buffer, data, offset);
    s.hostMs += performance.now() - t;
  };
  s.restore = () => {
    delete c.submit;
    delete c.write;
  };
  return s;
}

/**
 * nibble on one model: load, one warm-up generation (records the prefill and decode steps: pipelines compile), then
 * one timed greedy generation of `n` tokens after `ids`. The loop is LanguageModel.generate's greedy path (prefill
 * in chunks, argmax on the GPU, 4 bytes read back per token) without the text streaming and without stopping at
 * end-of-generation tokens, so every engine generates exactly n tokens.
 */
export async function measureNibble(ctx: GpuContext, model: string, source: ModelSource, ids: readonly number[], n: number, runtime: GenRow['runtime'], o: { engine?: string; denseExperts?: boolean } = {}): Promise<GenRow> {
  const row = emptyRow(model, o.engine ?? 'nibble', 'nibble', runtime, ids.length, n);
  const t0 = performance.now();
  const lm = await LanguageModel.load(ctx, source, { ctxLen: ids.length + n, ...(o.denseExperts ? { denseExperts: true } : {}) });
  row.loadMs = performance.now() - t0;
  try {
    const eng = lm.engine;
    const run = async (count: number, onDecodeStart?: () => void) => {
      const out: number[] = [];
      let next = 0;
      for (let p = 0; p < ids.length; p += eng.chunk) next = (await eng.step(ids.slice(p, p + eng.chunk), p, 'argmax')) as number;
      out.push(next);
      onDecodeStart?.();
      for (let pos = ids.length; out.length < count; pos++) out.push((next = (await eng.step([next], pos, 'argmax')) as number));
      return out;
    };
    await run(2);
    const steps = n - 1;
    const tStart = performance.now();
    let tDecode = 0;
    let cpu0: ReturnType<typeof cpuUsage> = null;
    const inst = instrument(ctx);
    try {
      row.ids = await run(n, () => {
        tDecode = performance.now();
        cpu0 = cpuUsage();
        inst.submits = 0;
        inst.hostMs = 0;
      });
    } finally {
      inst.restore();
    }
    const tEnd = performance.now();
    const cpu1 = cpuUsage();
    row.timeToFirstTokenMs = tDecode - tStart;
    row.promptTokensPerSecond = ids.length / ((tDecode - tStart) / 1000);
    if (steps > 0) {
      row.decodeTokensPerSecond = steps / ((tEnd - tDecode) / 1000);
      row.submitsPerToken = inst.submits / steps;
      row.hostMsPerToken = inst.hostMs / steps;
      const c0 = cpu0 as { user: number; system: number } | null;
      if (c0 && cpu1) row.cpuMsPerToken = (cpu1.user - c0.user + cpu1.system - c0.system) / 1000 / steps;
    }
    row.dispatchesPerToken = eng.lastDispatches;
    row.gpuBytes = lm.gpuBytes;
    row.note = `prefill in steps of ${eng.chunk} tokens; warm (one untimed generation first)`;
  } finally {
    lm.dispose();
  }
  return row;
}

/** Fills each row's agreement against the judge's ids of its model, and the ratios against the peers. */
export function finishReport(r: Omit<GenReport, 'ratios'>, judgeIds: Map<string, number[]>): GenReport {
  for (const row of r.rows) {
    const j = judgeIds.get(row.model);
    if (row.status === 'ok' && j && row.ids.length) row.agreement = agreement(row.ids, j);
  }
  const ratios: GenReport['ratios'] = [];
  const div = (a: number | null, b: number | null) => (a && b ? a / b : null);
  for (const m of r.models) {
    const rows = r.rows.filter((x) => x.model === m.name && x.status === 'ok');
    for (const nb of rows.filter((x) => x.side === 'nibble')) {
      for (const peer of rows.filter((x) => x.side === 'peer')) {
        ratios.push({ model: m.name, nibble: `${nb.engine} (${nb.runtime})`, peer: `${peer.engine} (${peer.runtime})`, prompt: div(nb.promptTokensPerSecond, peer.promptTokensPerSecond), decode: div(nb.decodeTokensPerSecond, peer.decodeTokensPerSecond) });
      }
    }
  }
  return { ...r, ratios };
}

const fmt = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(d));
const mb = (v: number | null) => (v === null ? '-' : (v / 2 ** 20).toFixed(1));
const agree = (a: Agreement | null) => (a ? `${a.same}/${a.n}${a.firstDivergence !== null ? ` (first diff ${a.firstDivergence})` : ''}` : '-');

const HEAD = ['model', 'engine', 'runtime', 'P/N', 'prompt tok/s', 'decode tok/s', 'TTFT ms', 'disp/tok', 'submits/tok', 'CPU ms/tok', 'host ms/tok', 'GPU MiB', 'greedy = llama.cpp'];

function cells(x: GenRow): string[] {
  if (x.status !== 'ok') return [x.model, x.engine, x.runtime, `${x.promptTokens}/${x.decodeTokens}`, x.status.toUpperCase() + ': ' + x.note, '', '', '', '', '', '', '', ''];
  return [
    x.model, x.engine, x.runtime, `${x.promptTokens}/${x.decodeTokens}`, fmt(x.promptTokensPerSecond), fmt(x.decodeTokensPerSecond, 2), fmt(x.timeToFirstTokenMs, 0),
    fmt(x.dispatchesPerToken, 0), fmt(x.submitsPerToken, 0), fmt(x.cpuMsPerToken, 2), fmt(x.hostMsPerToken, 2), mb(x.gpuBytes), agree(x.agreement),
  ];
}

function heading(r: GenReport): string[] {
  const a = r.adapter;
  return [
    `adapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || '?'} (${a.runtime}${a.fallback ? ', fallback: a CPU driver' : ''})`,
    `judge: ${r.judge}`,
    ...r.models.map((m) => `model ${m.name}: ${m.shape}, ${m.weightType}, ${(m.params / 1e6).toFixed(1)}M parameters, ${mb(m.fileBytes)} MiB file`),
  ];
}

export function formatGenTable(r: GenReport): string {
  const rows = [HEAD, ...r.rows.map(cells)];
  const w = HEAD.map((_, i) => Math.max(...rows.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((s, i) => s.padEnd(w[i])).join('  ').trimEnd();
  const ratio = r.ratios.map((x) => `${x.model}: ${x.nibble} vs ${x.peer}: prompt ${fmt(x.prompt, 3)}x, decode ${fmt(x.decode, 3)}x (above 1: nibble faster)`);
  return [...heading(r), '', ...rows.map(line), '', ...ratio].join('\n');
}

export function formatGenMarkdown(r: GenReport): string {
  const md = (c: string[]) => `| ${c.map((s) => s.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    '# nibble bench: language-model generation', '', ...heading(r).map((l) => `- ${l}`), '',
    md(HEAD), md(HEAD.map(() => '---')), ...r.rows.map((x) => md(cells(x))), '',
    '| model | nibble | peer | prompt ratio | decode ratio |', '| --- | --- | --- | --- | --- |',
    ...r.ratios.map((x) => md([x.model, x.nibble, x.peer, fmt(x.prompt, 3), fmt(x.decode, 3)])),
    '', 'Ratio: peer time / nibble time (above 1: nibble is faster).', '',
  ].join('\n');
}
