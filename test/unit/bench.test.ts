// The bench's own correctness (issue 7): `nibble bench --quick` in Node and in headless Chromium produces rows whose
// reference checks passed, the reports are written, the user-WGSL mode reports compile errors with file:line and
// names the binding or constant behind a bad flag. Nothing here asserts anything about time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openHeadless } from '../../runtime/headless.js';
import type { BenchReport, RowResult } from '../../bench/harness.js';
import { encodeModel, encodeVarint } from '../../bench/peers/onnx-proto.js';
import { matMulNBitsModel, randomQ4 } from '../../bench/peers/ort.js';
import { baselineRatios, formatMarkdown, formatSvg, formatTable, ratios, relatives } from '../../bench/report.js';
import { MLP_GROUP } from '../../bench/shapes.js';
import { mlpForwardRef, mlpProblem } from '../../bench/mlp.js';
import { fakeQuantizedProblem, lossBound } from '../../bench/train-rows.js';
import { parseBytes, parseDispatch, BenchInputError } from '../../bench/user-shader.js';
import { pickGemv, type GemvConfig, type MatmulBenchRow } from '../../bench/matmul.js';
import { median, summarize } from '../../src/gpu/timing.js';
import { medianStepMs } from '../../src/train/graph_trainer.js';

const nibble = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', 'bench', ...args], { encoding: 'utf8', timeout: 300_000 });
const tmp = mkdtempSync(join(tmpdir(), 'nibble-bench-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TRAIN_ROWS = ['nibble train step f32', 'nibble train step QAT W4 g32', 'nibble train step QAT W4 g32 + A8 token', 'nibble train step QAT W4 g32 LSQ'];
const NIBBLE_ROWS = ['nibble matmul_f32 naive', 'nibble matmul_f32 block4', 'nibble matmul_f32 tiled', 'nibble matmul_f32 picked', 'nibble matmul_w4a16 gemv g32', 'nibble matmul_w4a16 gemm g32', 'nibble add', 'nibble mul', 'nibble scale', 'nibble reduce_sum'];

function checkReport(r: BenchReport, runtime: RegExp): void {
  expect(r.adapter.runtime).toMatch(runtime);
  expect(typeof r.adapter.fallback).toBe('boolean');
  expect(r.quick).toBe(true);
  expect(r.ceilings.copyGBps).toBeGreaterThan(0);
  expect(r.ceilings.readGBps).toBeGreaterThan(0);
  expect(r.ceilings.fmaGFlops).toBeGreaterThan(0);
  const by = (name: string) => r.rows.filter((x) => x.name === name);
  for (const c of ['copyBufferToBuffer', 'read_bandwidth', 'fma_peak']) expect(by(c).map((x) => x.status)).toEqual(['ok']);
  expect(by('fma_peak')[0].check).toMatch(/fma_peak sums/);
  // The f32 row training runs: the tuning table's pick for the adapter, named in its notes.
  for (const x of by('nibble matmul_f32 picked')) expect(x.notes.join(' ')).toMatch(/^(naive|block4|tiled|rows) \(the tuning table's pick\)/);
  for (const n of NIBBLE_ROWS) {
    const rows = by(n);
    expect(rows.length, n).toBeGreaterThan(0);
    for (const x of rows) {
      expect(x.status, `${x.name} ${x.shape}: ${x.check}`).toBe('ok');
      expect(x.check).toMatch(/max \|err\|/);
      expect(x.method).toMatch(/timestamp-query|queue-completion/);
      expect(x.reps).toBe(3);
      expect(x.minMs! <= x.medianMs! && x.medianMs! <= x.maxMs!).toBe(true);
      expect(x.fracCopy).not.toBeNull();
      if (x.flops > 0) expect(x.fracPeak).toBeGreaterThan(0);
    }
  }
  // Both matmul comparison shapes have rows on nibble's side.
  expect(new Set(r.rows.filter((x) => x.group.startsWith('matmul ')).map((x) => x.group)).size).toBe(2);
  // nibble's training steps (f32 and QAT) in the MLP group: checked against the f64 reference, timed like the peer.
  for (const n of TRAIN_ROWS) {
    const x = r.rows.find((y) => y.name === n)!;
    expect(x, n).toBeDefined();
    expect(x.group).toBe(MLP_GROUP);
    expect(x.status, `${n}: ${x.check}`).toBe('ok');
    expect(x.check).toMatch(/^(logits within the propagated f32 bound|layer by layer from the GPU's own inputs) .*; first-step loss .* <= .*; first Adam step of the last bias matches on \d+\/10 entries$/);
    expect(x.method).toMatch(/until the last bias \(40 B\) is read back/);
    expect(x.reps).toBe(3);
  }
  const rel = relatives(r);
  expect(rel.map((x) => [x.row, x.baseline])).toEqual(TRAIN_ROWS.slice(1).map((n) => [n, TRAIN_ROWS[0]]));
  expect(rel.every((x) => x.times > 0)).toBe(true);
  expect(formatTable(r)).toMatch(/\d+\.\d\dx the time of nibble train step f32/);
}

describe('nibble bench --quick', () => {
  it('runs in Node (Dawn): every nibble row passes its reference check; the peers say they run in the browser', () => {
    const p = nibble(['--quick', '--json']);
    expect(p.status, p.stderr).toBe(0);
    const r = JSON.parse(p.stdout) as BenchReport;
    checkReport(r, /node/);
    const peers = r.rows.filter((x) => x.side === 'peer');
    expect(peers.length).toBe(3);
    for (const x of peers) expect(x.check).toMatch(/browser only/);
  });

  it('runs in headless Chromium with the peers (ORT MatMulNBits on WebGPU, TF.js WebGPU) checked, and writes --out', () => {
    const out = join(tmp, 'browser');
    const p = nibble(['--quick', '--json', '--browser', '--out', out]);
    expect(p.status, p.stderr).toBe(0);
    const r = JSON.parse(p.stdout) as BenchReport;
    checkReport(r, /browser/);
    const ort = r.rows.filter((x) => x.name.startsWith('onnxruntime-web'));
    expect(ort.length).toBe(2);
    for (const x of ort) {
      expect(x.status, x.check).toBe('ok');
      expect(x.check).toMatch(/MatMulNBits Y: max \|err\|/);
      expect(x.notes.join(' ')).toMatch(/disable_cpu_ep_fallback=1/);
    }
    const tf = r.rows.find((x) => x.name.startsWith('TF.js'))!;
    expect(tf.status, tf.check).toBe('ok');
    expect(tf.notes).toContain('TF.js backend: webgpu');
    expect(tf.check).toMatch(/first Adam step of the last bias matches/);
    // Ratios exist for both matmul shapes and the training step, in every output form; W4A16 against ORT and against
    // nibble's f32 rows; nibble's training steps against TF.js.
    const rs = ratios(r);
    expect(new Set(rs.map((x) => x.group)).size).toBe(3);
    expect(rs.filter((x) => x.group === MLP_GROUP).map((x) => x.row)).toEqual(TRAIN_ROWS);
    for (const w4 of ['nibble matmul_w4a16 gemv g32', 'nibble matmul_w4a16 gemm g32']) {
      expect(rs.filter((x) => x.row === w4 && x.peer.startsWith('onnxruntime-web')).length, w4).toBe(1);
      // The 4x4-block f32 shape is a row only at the prefill shape (M >= 3); 'picked' (the table's choice) at both.
      const f32 = w4.includes('gemm') ? ['nibble matmul_f32 block4', 'nibble matmul_f32 naive', 'nibble matmul_f32 picked', 'nibble matmul_f32 tiled'] : ['nibble matmul_f32 naive', 'nibble matmul_f32 picked', 'nibble matmul_f32 tiled'];
      expect(baselineRatios(r).filter((x) => x.row === w4).map((x) => x.peer).sort(), w4).toEqual(f32);
    }
    const saved = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as BenchReport;
    expect(saved.rows.length).toBe(r.rows.length);
    const md = readFileSync(join(out, 'bench.md'), 'utf8');
    expect(md).toMatch(/\| group \| row \| shape \| median ms/);
    expect(md).toMatch(/## Ratios against peers/);
    expect(md).toMatch(/## Ratios against nibble's f32 matmul[^]*\| nibble matmul_w4a16 gemv g32 \| nibble matmul_f32 tiled \| \d+\.\d\dx \|/);
    expect(md).toMatch(/\| train step MLP .* \| nibble train step QAT W4 g32 \| nibble train step f32 \| \d+\.\d\dx \|/);
    expect(md).toContain(r.adapter.runtime);
    const svg = readFileSync(join(out, 'bench.svg'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect((svg.match(/<rect x=/g) ?? []).length).toBe(rs.length);
  });
});

describe('the ORT peer runs on WebGPU, not the CPU fallback', () => {
  it('session.disable_cpu_ep_fallback=1 refuses a node without a WebGPU kernel (Det) and accepts one with (Relu)', async () => {
    const h = await openHeadless();
    try {
      await h.page.waitForFunction('window.nibbleReady === true');
      const r = await h.evaluate<Record<string, { withFlag: string; withoutFlag: string }>>(
        `const b = await import('./bench.js'); return { det: await b.ortFallbackProbe('Det', []), relu: await b.ortFallbackProbe('Relu', [2, 2]) };`,
      );
      expect(r.det.withFlag).toMatch(/refused: .*assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled/);
      expect(r.det.withoutFlag).toBe('created');
      expect(r.relu).toEqual({ withFlag: 'created', withoutFlag: 'created' });
    } finally {
      await h.close();
    }
  });
});

describe('nibble bench FILE.wgsl', () => {
  const saxpy = 'test/fixtures/bench_saxpy.wgsl';
  it('benchmarks a user shader: bindings from reflection, sizes from flags and declared types, overrides and params', () => {
    const p = nibble([saxpy, '--dispatch', '32', '--size', 'x=4k', '--size', 'y=4096', '--const', 'WG=32', '--param', 'n=1024', '--param', 'alpha=0.5', '--quick', '--json']);
    expect(p.status, p.stderr).toBe(0);
    const r = JSON.parse(p.stdout) as BenchReport;
    const row = r.rows.find((x) => x.name === 'bench_saxpy.wgsl') as RowResult;
    expect(row.status, row.check).toBe('ok');
    expect(row.shape).toBe('dispatch 32x1x1');
    expect(row.notes[0]).toBe('buffers: x 4096 B, y 4096 B, stats 16 B, params 16 B (uniform)');
    expect(row.bytes).toBe(4096 + 4096 + 16);
  });
  it('runs a user shader in headless Chromium too', () => {
    const p = nibble([saxpy, '--browser', '--dispatch', '4', '--size', 'x=512', '--size', 'y=512', '--param', 'n=128', '--quick', '--json', '--reps', '2']);
    expect(p.status, p.stderr).toBe(0);
    const row = (JSON.parse(p.stdout) as BenchReport).rows.find((x) => x.name === 'bench_saxpy.wgsl')!;
    expect(row.status, row.check).toBe('ok');
    expect(row.reps).toBe(2);
  });
  it('gives the compiler message with file:line for a shader that does not compile (Node and Chromium)', () => {
    for (const extra of [[], ['--browser']]) {
      const p = nibble(['test/fixtures/syntax_error.wgsl', '--dispatch', '1', '--quick', ...extra]);
      expect(p.status, p.stderr).toBe(2);
      expect(p.stderr).toMatch(/syntax_error\.wgsl:6:\d+: error/);
    }
  });
  const bad: [string[], RegExp][] = [
    [['--size', 'x=4096'], /binding 'y' \(@group\(0\) @binding\(1\), array<f32>\) is runtime-sized .* --size y=BYTES/],
    [['--size', 'x=4096', '--size', 'y=4096', '--size', 'z=16'], /--size z=\.\.\.: the shader has no binding 'z' \(bindings: x, y, stats, params\)/],
    [['--size', 'x=4096', '--size', 'y=4096', '--const', 'TILE=4'], /--const TILE=\.\.\.: the shader has no override 'TILE' \(overrides: WG\)/],
    [['--size', 'x=4096', '--size', 'y=4096', '--param', 'm=3'], /--param m=\.\.\.: no such uniform field \(fields: n, alpha\)/],
    [['--size', 'x=4095', '--size', 'y=4096'], /--size x=4095: binding 'x' .* needs a positive multiple of 4 bytes/],
    [['--size', 'x=4096', '--size', 'y=4096', '--size', 'stats=32'], /--size stats=32: binding 'stats' .* has a fixed size of 16 bytes/],
    [['--size', 'x=lots'], /--size x=lots: 'lots' is not a byte count/],
    [['--const', 'WG'], /--const WG: expected NAME=VALUE/],
  ];
  for (const [flags, re] of bad) {
    it(`refuses bad flags with a message naming the binding or constant: ${flags.join(' ')}`, () => {
      const p = nibble(['test/fixtures/bench_saxpy.wgsl', '--dispatch', '1', '--quick', ...flags]);
      expect(p.status, p.stdout).toBe(2);
      expect(p.stderr).toMatch(re);
    });
  }
  it('refuses a missing or malformed --dispatch, and user-shader flags without a file', () => {
    let p = nibble(['test/fixtures/bench_saxpy.wgsl']);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/--dispatch X\[,Y,Z\] is required/);
    p = nibble(['test/fixtures/bench_saxpy.wgsl', '--dispatch', '0,2']);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/--dispatch 0,2: expected 1 to 3 positive whole numbers/);
    p = nibble(['--dispatch', '4']);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/--dispatch applies to a WGSL file/);
  });
});

describe('bench pieces (pure)', () => {
  it('takes medians one way everywhere: the middle sample, the mean of the middle two for an even count', () => {
    const xs = [5, 1, 4, 2];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 4, 2]); // not sorted in place
    expect(median([3, 9, 1])).toBe(3);
    expect(median([])).toBeNaN();
    expect(summarize([4, 1, 3, 2], 'queue-completion')).toMatchObject({ median: 2.5, min: 1, max: 4 });
    // step times: the first two (pipeline compiles) are left out while there are more
    expect(medianStepMs([900, 800, 10, 14, 12, 11])).toBe(11.5);
    expect(medianStepMs([900, 800])).toBe(800);
  });
  it('parses byte counts and dispatch sizes', () => {
    expect(parseBytes('4096')).toBe(4096);
    expect(parseBytes('16k')).toBe(16384);
    expect(parseBytes('2MiB')).toBe(2 * 1024 * 1024);
    expect(parseBytes('1.5M')).toBeNull();
    expect(parseDispatch('7')).toEqual([7, 1, 1]);
    expect(parseDispatch('2,3,4')).toEqual([2, 3, 4]);
    expect(() => parseDispatch('1,2,3,4')).toThrow(BenchInputError);
  });
  it('encodes protobuf varints and a one-node ONNX model', () => {
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const m = encodeModel({
      node: { opType: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] },
      initializers: [],
      inputs: [{ name: 'x', elemType: 1, dims: [2] }],
      outputs: [{ name: 'y', elemType: 1, dims: [2] }],
      opsets: [{ domain: '', version: 17 }],
    });
    // ir_version (field 1, varint) = 8, then producer_name (field 2) 'nibble'.
    expect([...m.subarray(0, 4)]).toEqual([0x08, 0x08, 0x12, 6]);
    expect(new TextDecoder().decode(m.subarray(4, 10))).toBe('nibble');
    expect(new TextDecoder().decode(m)).toContain('Relu');
  });
  it('packs MatMulNBits codes two a byte, the lower k in the low nibble, with zero point 8', () => {
    const q = randomQ4(3, 64, 7);
    expect(q.packed.length).toBe((3 * 64) / 2);
    expect(q.scales.length).toBe(3 * 2);
    for (let n = 0; n < 3; n++) {
      for (let k = 0; k < 64; k++) {
        const byte = q.packed[(n * 64 + k) >> 1];
        const code = k & 1 ? byte >> 4 : byte & 15;
        expect(q.w[n * 64 + k]).toBe((code - 8) * q.scales[n * 2 + (k >> 5)]);
      }
    }
    expect(() => randomQ4(1, 48, 1)).toThrow(/K=48 must be a multiple of the block size 32/);
    expect(new TextDecoder().decode(matMulNBitsModel(1, 3, 64, q))).toContain('com.microsoft');
  });
  it('computes ratios only between rows that passed, and says when a peer disagrees', () => {
    const row = (name: string, side: 'nibble' | 'peer', status: RowResult['status'], medianMs: number | null): RowResult => ({
      name, group: 'g', side, shape: 's', status, check: status === 'ok' ? 'fine' : 'element 3 = 1 vs reference 2', method: 'timestamp-query', reps: 3,
      medianMs, wallMedianMs: null, minMs: medianMs, maxMs: medianMs, gflops: null, gbps: null, fracCopy: null, fracRead: null, fracPeak: null, flops: 0, bytes: 0, notes: [],
    });
    const r: BenchReport = {
      adapter: { runtime: 'browser', vendor: 'v', architecture: 'a', device: '', description: '', fallback: true, timestampQuery: true },
      timing: 'timestamp-query', quick: true, date: 'd', ceilings: { copyGBps: 1, readGBps: 1, fmaGFlops: 1 },
      rows: [row('mine', 'nibble', 'ok', 2), row('theirs', 'peer', 'ok', 5), row('broken peer', 'peer', 'check-failed', null)],
    };
    expect(ratios(r)).toEqual([{ group: 'g', row: 'mine', peer: 'theirs', speedup: 2.5, wall: false }]);
    const wallRow = { ...r.rows[0], wallMedianMs: 4 };
    expect(ratios({ ...r, rows: [wallRow, r.rows[1]] })).toEqual([{ group: 'g', row: 'mine', peer: 'theirs', speedup: 1.25, wall: true }]);
    expect(formatTable(r)).toMatch(/2\.50x vs theirs/);
    expect(formatTable(r)).toMatch(/OUTPUT DISAGREES WITH REFERENCE: element 3/);
    expect(formatTable(r)).toMatch(/software adapter/);
    expect(formatMarkdown(r)).toMatch(/## Outputs that disagree with the reference\n\n- broken peer/);
    expect(formatSvg(r)).toContain('2.50x');
  });
  it('gives a row with a baseline its time relative to the baseline (both passed, same group), never to a failed one', () => {
    const row = (name: string, status: RowResult['status'], medianMs: number | null, baseline?: string, group = 'g'): RowResult => ({
      name, group, side: 'nibble', shape: 's', status, check: 'fine', method: 'queue-completion', reps: 3,
      medianMs, wallMedianMs: null, minMs: medianMs, maxMs: medianMs, gflops: null, gbps: null, fracCopy: null, fracRead: null, fracPeak: null, flops: 0, bytes: 0, notes: [],
      ...(baseline ? { baseline } : {}),
    });
    const base: Omit<BenchReport, 'rows'> = {
      adapter: { runtime: 'node', vendor: 'v', architecture: 'a', device: '', description: '', fallback: false, timestampQuery: false },
      timing: 'queue-completion', quick: true, date: 'd', ceilings: { copyGBps: 1, readGBps: 1, fmaGFlops: 1 },
    };
    const r: BenchReport = { ...base, rows: [row('f32', 'ok', 4), row('qat', 'ok', 5, 'f32'), row('qat other group', 'ok', 5, 'f32', 'h')] };
    expect(relatives(r)).toEqual([{ group: 'g', row: 'qat', baseline: 'f32', times: 1.25 }]);
    expect(formatTable(r)).toMatch(/1\.25x the time of f32/);
    expect(formatMarkdown(r)).toMatch(/## Time relative to a nibble baseline[^]*\| g \| qat \| f32 \| 1\.25x \|/);
    expect(relatives({ ...r, rows: [row('f32', 'check-failed', null), row('qat', 'ok', 5, 'f32')] })).toEqual([]);
  });
  it('the training-step references: QAT weights are fake-quantized per group of 32 along K; the loss bound covers the logit bounds', () => {
    const p = mlpProblem();
    const q = fakeQuantizedProblem(p, 4, 32);
    // W_0 is [in, out]; a group is 32 consecutive inputs of one output: codes in [-8, 7] times s = max|w| / 7.5.
    const W = q.weights[0];
    const out = p.sizes[1];
    for (const [j, k0] of [[0, 0], [5, 32], [255, 32]]) {
      const g = Array.from({ length: 32 }, (_, k) => W[(k0 + k) * out + j]);
      const orig = Array.from({ length: 32 }, (_, k) => p.weights[0][(k0 + k) * out + j]);
      expect(new Set(g).size).toBeLessThanOrEqual(16);
      const sc = Math.max(...orig.map(Math.abs)) / 7.5;
      for (const v of g) expect(Math.abs(v / sc - Math.round(v / sc))).toBeLessThan(1e-5);
      expect(Math.min(...g.map((v) => Math.round(v / sc)))).toBeGreaterThanOrEqual(-8);
      expect(Math.max(...g.map((v) => Math.round(v / sc)))).toBeLessThanOrEqual(7);
      expect(g.some((v, k) => v !== orig[k])).toBe(true);
    }
    const ref = mlpForwardRef(p);
    const lb = lossBound(p, ref);
    expect(lb).toBeGreaterThan(Math.max(...ref.bound) / 4);
    expect(lb).toBeLessThan(1e-2);
    expect(Math.abs(mlpForwardRef(q).loss - ref.loss)).toBeGreaterThan(lb / 100);
  });

  it("computes ratios against nibble's f32 matmul rows of the same group, for nibble rows that passed", () => {
    const row = (name: string, group: string, side: 'nibble' | 'peer', status: RowResult['status'], medianMs: number | null): RowResult => ({
      name, group, side, shape: 's', status, check: 'fine', method: 'timestamp-query', reps: 3,
      medianMs, minMs: medianMs, maxMs: medianMs, gflops: null, gbps: null, fracCopy: null, fracRead: null, fracPeak: null, flops: 0, bytes: 0, notes: [], wallMedianMs: null,
    });
    const r: BenchReport = {
      adapter: { runtime: 'node', vendor: 'v', architecture: 'a', device: '', description: '', fallback: false, timestampQuery: true },
      timing: 'timestamp-query', quick: true, date: 'd', ceilings: { copyGBps: 1, readGBps: 1, fmaGFlops: 1 },
      rows: [
        row('nibble matmul_f32 naive', 'g', 'nibble', 'ok', 8), row('nibble matmul_f32 tiled', 'g', 'nibble', 'ok', 4), row('nibble matmul_w4a16 gemv g32', 'g', 'nibble', 'ok', 1),
        row('nibble matmul_w4a16 gemm g32', 'g', 'nibble', 'check-failed', null), row('peer', 'g', 'peer', 'ok', 3), row('nibble matmul_w4a16 gemv g32', 'h', 'nibble', 'ok', 1),
      ],
    };
    expect(baselineRatios(r)).toEqual([
      { group: 'g', row: 'nibble matmul_w4a16 gemv g32', peer: 'nibble matmul_f32 naive', speedup: 8, wall: false },
      { group: 'g', row: 'nibble matmul_w4a16 gemv g32', peer: 'nibble matmul_f32 tiled', speedup: 4, wall: false },
    ]);
    expect(formatTable(r)).toMatch(/3\.00x vs peer, 8\.00x vs matmul_f32 naive, 4\.00x vs matmul_f32 tiled/);
    expect(formatMarkdown(r)).toMatch(/\| g \| nibble matmul_w4a16 gemv g32 \| nibble matmul_f32 tiled \| 4\.00x \|/);
  });
});

describe('run-matmul: the GEMV pick for the tuning table', () => {
  const row = (shape: string, ms: number, config: GemvConfig, kernel = 'matmul_w4a16'): MatmulBenchRow => {
    const [M, K, N] = shape.split('x').map(Number);
    return { kernel, variant: JSON.stringify(config), shape, M, K, N, ms, msAlone: null, gflops: 0, weightGBs: 0, copyFraction: 1 / ms, readFraction: 0.5 / ms, vsF32: null, timing: 'timestamp-query', check: 'ok', config };
  };
  const A: GemvConfig = { path: 'split', f16: 'native', splitWG: 128, subgroups: false };
  const B: GemvConfig = { path: 'splitcols', f16: 'native', splitWG: 128, colsPerWG: 4, subgroups: false };
  const C: GemvConfig = { path: 'splitcols', f16: 'native', splitWG: 256, colsPerWG: 8, subgroups: true };

  it('takes the smallest geometric-mean slowdown over the shapes, not the most wins', () => {
    // A wins two shapes by 5%, B wins the third by 2x: B's mean slowdown is lower.
    const rows = [row('1x64x64', 1.0, A), row('1x64x64', 1.05, B), row('1x64x128', 1.0, A), row('1x64x128', 1.05, B), row('1x128x64', 2.0, A), row('1x128x64', 1.0, B)];
    const p = pickGemv(rows, 'native')!;
    expect(p.config).toEqual(B);
    expect(p.slowdown).toBeCloseTo(Math.cbrt(1.05 * 1.05), 12);
    expect(p.tuning).toEqual({ gemv: 'splitcols', splitWG: 128, colsPerWG: 4, subgroups: false });
    expect(p.shapes.map((s) => s.fastestMs)).toEqual([1.0, 1.0, 1.0]);
    expect(p.shapes.map((s) => s.readFraction)).toEqual([0.5 / 1.05, 0.5 / 1.05, 0.5 / 1.0]);
  });

  it('skips configurations that did not run on every shape, other f16 modes, other kernels and GEMM rows', () => {
    const rows = [row('1x64x64', 1.0, A), row('1x64x128', 1.0, A), row('1x64x64', 0.5, C), row('1x64x128', 0.1, { ...C, f16: 'emulated' }), row('1x64x128', 0.1, C, 'matmul_w8a16'), row('64x64x64', 0.1, C)];
    const p = pickGemv(rows, 'native')!;
    expect(p.config).toEqual(A);
    expect(p.tuning).toEqual({ gemv: 'split', splitWG: 128, subgroups: false });
    expect(pickGemv(rows.filter((r) => r.M > 8), 'native')).toBeNull();
  });
});

describe('run-matmul from the outside (needs npm run build)', () => {
  const runMatmul = (args: string[]) => spawnSync(process.execPath, ['dist/bench/run-matmul.js', ...args], { encoding: 'utf8', timeout: 300_000 });
  it('--formats times GGUF imports on a GEMV shape, checked first, with the bytes each storage reads; both ceilings measured', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nibble-rm-'));
    const r = runMatmul(['--quick', '--shapes', '1x512x64', '--bits', '4', '--formats', 'Q4_K,Q6_K,Q4_0', '--reps', '1', '--json', join(dir, 'r.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/# read bandwidth [\d.]+ GB\/s \(read_bandwidth kernel, bytes read; [\d.]+x the copy\)/);
    expect(r.stdout).toMatch(/\| gguf Q4_K \| w4a16 \w+ f16-\w+ k6 scales \(4\.625 bits\/w\) \| 1x512x64 \|.*\| ok \(/);
    expect(r.stdout).toMatch(/\| gguf Q4_K \| w4a16 \w+ f16-\w+ f32 scales \(6\.000 bits\/w\) \| 1x512x64 \|.*\| ok \(/);
    expect(r.stdout).toMatch(/\| gguf Q6_K \| w8a16 \w+ f16-\w+ s8 scales \(8\.625 bits\/w\) \|.*\| ok \(/);
    expect(r.stdout).toMatch(/\| gguf Q6_K \| w8a16 \w+ f16-\w+ f32 scales \(10\.000 bits\/w\) \|.*\| ok \(/);
    const j = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(j.readGBs).toBeGreaterThan(0);
    expect(j.rows.filter((x: { kernel: string }) => x.kernel.startsWith('gguf ')).length).toBe(5);
    // The targets take our own W4A16 rows only, not the GGUF ones.
    expect(j.targets.every((t: { what: string }) => !t.what.includes('gguf'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
    const bad = runMatmul(['--formats', 'TQ1_0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--formats: 'TQ1_0' is not one of Q4_0, Q4_1, Q8_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, MXFP4, IQ4_NL, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M/);
  });

  it('--stream times GEMV rows back to back over copies of the weights (checked first), next to the dispatch alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nibble-rm-'));
    const r = runMatmul(['--quick', '--shapes', '1x256x64,16x64x32', '--bits', '4,8', '--paths', 'split,tiled', '--stream', '3', '--reps', '1', '--json', join(dir, 'r.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/# GEMV rows \(M <= 8\): ms is one dispatch's share of a pass .* \(3 copies\)/);
    const j = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    const gemv = j.rows.filter((x: MatmulBenchRow) => x.M === 1);
    // f32, W4A16, W8A16 and W8A8 rows, each checked against the reference, each timed both ways.
    expect(gemv.map((x: MatmulBenchRow) => x.kernel).sort()).toEqual(['matmul_f32', 'matmul_w4a16', 'matmul_w8a16', 'matmul_w8a8']);
    for (const x of gemv) {
      expect(x.check).toMatch(/^ok \(/);
      expect(x.ms).toBeGreaterThan(0);
      expect(x.msAlone).toBeGreaterThan(0);
    }
    // GEMM rows are one dispatch's pass: no second figure.
    expect(j.rows.filter((x: MatmulBenchRow) => x.M === 16).every((x: MatmulBenchRow) => x.msAlone === null)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('--tuning lays a pick over the adapter\'s entry: the default rows run it; a field the kernels cannot take is refused', () => {
    const r = runMatmul(['--quick', '--shapes', '1x256x64', '--bits', '4', '--f16', 'emulated', '--reps', '1', '--tuning', '{"matmulQ":{"gemv":"splitcols","splitWG":32,"colsPerWG":2}}']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/# tuning: matmulQ \{"gemv":"splitcols",.*"splitWG":32,"colsPerWG":2,.*\} \(the table's entry with/);
    expect(r.stdout).toMatch(/\| matmul_w4a16 \| splitcols c2 wg32\+\S+ f16-emulated g128 \| 1x256x64 \|.*\| ok \(/);
    const bad = runMatmul(['--tuning', '{"matmulQ":{"colsPerWG":9}}']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--tuning: tuning override: matmulQ.colsPerWG = 9 is not a value the kernels take/);
    const unknown = runMatmul(['--tuning', '{"matmulQ":{"cols":2}}']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown field matmulQ.cols \(fields: gemv, gemm,/);
    const notJson = runMatmul(['--tuning', '{gemv']);
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/--tuning: not JSON/);
  });
});
