// The executor itself: buffer reuse (counted), one submit per run, memory flat over 1000 runs, a two-layer
// MLP's gradients and SGD step against a hand-written f64 reference, the cached backward, and bad input.
import { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/ops/index.js';
import { mlp2Ref } from '../../src/ref/ops.js';
import { f16ToF32, f32ToF16 } from '../../src/ref/f16.js';
import { randomF32, rng } from '../../src/ref/random.js';
import { U_F32 } from '../../src/ref/tolerance.js';
import { assert, expectError, type GpuCase } from './types.js';

/** Counts calls of `method` on `obj` while `fn` runs. */
async function counting<T extends object>(obj: T, methods: (keyof T)[], fn: () => Promise<void>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const saved = methods.map((m) => [m, Object.getOwnPropertyDescriptor(obj, m)] as const);
  for (const m of methods) {
    const orig = (obj[m] as unknown as (...a: unknown[]) => unknown).bind(obj);
    counts[String(m)] = 0;
    Object.defineProperty(obj, m, { configurable: true, writable: true, value: (...a: unknown[]) => (counts[String(m)]++, orig(...a)) });
  }
  try {
    await fn();
  } finally {
    for (const [m, d] of saved) {
      if (d) Object.defineProperty(obj, m, d);
      else delete (obj as Record<string | symbol | number, unknown>)[m as string];
    }
  }
  return counts;
}

function mlp(ctx: GpuContext, B: number, I: number, H: number, O: number, seed: number) {
  const g = new Graph(ctx, 'mlp2');
  const x = g.input('x', [B, I]);
  const y = g.input('y', [B], 'i32');
  const lr = g.input('lr', []);
  const data = { w1: randomF32(I * H, seed, -0.5, 0.5), b1: randomF32(H, seed + 1, -0.1, 0.1), w2: randomF32(H * O, seed + 2, -0.5, 0.5), b2: randomF32(O, seed + 3, -0.1, 0.1) };
  const w1 = g.param('w1', [I, H], data.w1);
  const b1 = g.param('b1', [H], data.b1);
  const w2 = g.param('w2', [H, O], data.w2);
  const b2 = g.param('b2', [O], data.b2);
  const loss = op.crossEntropy(op.linear(op.relu(op.linear(x, w1, b1)), w2, b2), y);
  return { g, x, y, lr, w1, b1, w2, b2, loss, data };
}

function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, K: number): number {
  let meanAbs = 0;
  for (let i = 0; i < want.length; i++) meanAbs += Math.abs(want[i]) / want.length;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / (8 * K * U_F32 * (Math.abs(want[i]) + meanAbs) + 1e-30);
    assert(r <= 1, `${what}[${i}] = ${got[i]}, reference ${want[i]}`);
    worst = Math.max(worst, r);
  }
  return worst;
}

export const CASES: GpuCase[] = [
  {
    name: 'graph: liveness reuses buffers (a 12-op chain needs 2 temporaries, not 12)',
    async run(ctx) {
      const g = new Graph(ctx, 'chain');
      try {
        const x = g.input('x', [300]);
        let t = x;
        for (let i = 0; i < 12; i++) t = i % 2 ? op.relu(t) : op.affine(t, 0.5, 0.125);
        const exe = await g.compile({ outputs: [t] });
        const s = exe.stats;
        assert(s.storages === 12 && s.allocations === 2, `12 storages should share 2 buffers, got ${s.allocations} buffers`);
        assert(s.tempBytes * 6 === s.tempBytesWithoutReuse, `temp bytes ${s.tempBytes} vs ${s.tempBytesWithoutReuse} without reuse`);
        const xv = randomF32(300, 9);
        await exe.run({ x: xv });
        const got = await exe.read(t);
        let want = Array.from(xv, (v) => v);
        for (let i = 0; i < 12; i++) want = want.map((v) => (i % 2 ? Math.max(0, v) : Math.fround(Math.fround(0.5 * v) + 0.125)));
        for (let i = 0; i < 300; i++) assert(Math.abs(got[i] - want[i]) <= 1e-6 * (1 + Math.abs(want[i])), `chain[${i}] = ${got[i]}, want ${want[i]}`);
        return `${s.storages} storages in ${s.allocations} buffers (${s.tempBytes} B vs ${s.tempBytesWithoutReuse} B without reuse)`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'graph: two-layer MLP grads and one SGD step equal a hand-written f64 reference; backward is cached',
    async run(ctx) {
      const B = 8, I = 6, H = 5, O = 4;
      const m = mlp(ctx, B, I, H, O, 21);
      const { g } = m;
      try {
        const grads = g.backward(m.loss);
        assert(g.backward(m.loss) === grads, 'backward() built a second graph for the same loss');
        const nodes = g.nodes.length;
        g.backward(m.loss);
        assert(g.nodes.length === nodes, 'a cached backward() added nodes');
        const ps = [m.w1, m.b1, m.w2, m.b2];
        const gs = ps.map((p) => grads.get(p)!);
        const updates = ps.map((p, i): [typeof p, typeof p] => [p, op.sub(p, op.mul(gs[i], m.lr))]);
        const exe = await g.compile({ outputs: [m.loss, ...gs], updates });
        const xv = randomF32(B * I, 22);
        const yv = Int32Array.from({ length: B }, (_, i) => Math.floor(rng(23 + i)() * O));
        const lr = 0.5;
        let submits = 0;
        const counts = await counting(ctx.device.queue, ['submit'], async () => {
          await exe.run({ x: xv, y: yv, lr: [lr] });
        });
        submits = counts.submit;
        assert(submits === 1, `one run made ${submits} submits`);
        const r = mlp2Ref(xv, m.data.w1, m.data.b1, m.data.w2, m.data.b2, yv, B, I, H, O);
        const loss = (await exe.read(m.loss))[0];
        assert(Math.abs(loss - r.loss) <= 1e-5 * Math.abs(r.loss), `loss ${loss} vs reference ${r.loss}`);
        const refs = [r.gw1, r.gb1, r.gw2, r.gb2];
        const worst: number[] = [];
        for (let i = 0; i < 4; i++) worst.push(close(`grad ${ps[i].name}`, await exe.read(gs[i]), refs[i], Math.max(I, H, O) + B));
        // The update ran in the same submit: p = p - lr * grad.
        const w1 = await g.readParam(m.w1);
        for (let i = 0; i < w1.length; i++) {
          const want = m.data.w1[i] - lr * r.gw1[i];
          assert(Math.abs(w1[i] - want) <= 1e-6 * (1 + Math.abs(want)), `updated w1[${i}] = ${w1[i]}, want ${want}`);
        }
        return `loss ${loss.toFixed(6)} (ref ${r.loss.toFixed(6)}); grads worst ${(Math.max(...worst) * 100).toFixed(1)}% of bound; ${exe.stats.dispatchesPerRun} dispatches, ${submits} submit`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'graph: 1000 runs of a training step keep GPU memory flat (no buffer, bind group or pipeline created)',
    async run(ctx) {
      const m = mlp(ctx, 4, 3, 4, 2, 40);
      const { g } = m;
      try {
        const grads = g.backward(m.loss);
        const updates = [m.w1, m.b1, m.w2, m.b2].map((p): [typeof p, typeof p] => [p, op.sub(p, op.mul(grads.get(p)!, m.lr))]);
        const exe = await g.compile({ outputs: [m.loss], updates });
        const feeds = { x: randomF32(12, 41), y: Int32Array.of(0, 1, 1, 0), lr: [0.05] };
        await exe.run(feeds);
        const first = (await exe.read(m.loss))[0];
        const held = exe.bytesHeld;
        const stats = { ...exe.stats };
        const counts = await counting(ctx.device, ['createBuffer', 'createBindGroup', 'createComputePipeline', 'createComputePipelineAsync', 'createQuerySet'], async () => {
          for (let i = 0; i < 1000; i++) await exe.run(i === 500 ? feeds : {});
        });
        const created = Object.entries(counts).filter(([, n]) => n > 0);
        assert(created.length === 0, `1000 runs created GPU objects: ${created.map(([k, n]) => `${k} x${n}`).join(', ')}`);
        assert(exe.bytesHeld === held && JSON.stringify(exe.stats) === JSON.stringify(stats), `bytes held moved from ${held} to ${exe.bytesHeld}`);
        const last = (await exe.read(m.loss))[0];
        assert(exe.runs === 1001 && last < first, `1001 SGD steps should lower the loss: ${first} -> ${last}`);
        return `${exe.runs} runs, ${held} bytes held throughout, loss ${first.toFixed(4)} -> ${last.toFixed(4)}`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'graph: build-time errors name the op, its inputs and shapes; misuse after destroy and bad feeds are refused',
    async run(ctx) {
      const g = new Graph(ctx, 'bad');
      const msgs: string[] = [];
      const a = g.input('a', [2, 3]);
      const b = g.input('b', [4, 5]);
      const ids = g.input('ids', [2], 'i32');
      msgs.push(await expectError('matmul', () => op.matmul(a, b)));
      assert(/op 'matmul' \(inputs: 'a' \[2, 3\] f32, 'b' \[4, 5\] f32\): inner dims differ/.test(msgs[0]), msgs[0]);
      msgs.push(await expectError('add', () => op.add(a, b)));
      assert(/op 'add' .*'a' \[2, 3\].*'b' \[4, 5\].*do not broadcast/.test(msgs[1]), msgs[1]);
      msgs.push(await expectError('dtype', () => op.relu(ids)));
      assert(/op 'relu' .*'ids' \[2\] i32 must be f32/.test(msgs[2]), msgs[2]);
      msgs.push(await expectError('ce', () => op.crossEntropy(a, a)));
      assert(/op 'cross_entropy'.*targets .* must be i32/.test(msgs[3]), msgs[3]);
      msgs.push(await expectError('reshape', () => op.reshape(a, [4, 2])));
      assert(/op 'reshape' .*cannot reshape 6 elements to \[4, 2\]/.test(msgs[4]), msgs[4]);
      const g2 = new Graph(ctx, 'other');
      const c = g2.input('c', [2, 3]);
      msgs.push(await expectError('graphs', () => op.add(a, c)));
      assert(/belongs to graph 'other'/.test(msgs[5]), msgs[5]);
      g2.destroy();
      const y = op.relu(a);
      const exe = await g.compile({ outputs: [y] });
      msgs.push(await expectError('feed name', () => exe.run({ nope: new Float32Array(6) })));
      assert(/no input named 'nope'/.test(msgs[6]), msgs[6]);
      msgs.push(await expectError('feed size', () => exe.run({ a: new Float32Array(5) })));
      assert(/input 'a' \[2, 3\] f32 needs 24 bytes, got 20/.test(msgs[7]), msgs[7]);
      msgs.push(await expectError('not fed', () => exe.run()));
      assert(/input 'a' \[2, 3\] was never fed/.test(msgs[8]), msgs[8]);
      const z = op.relu(y);
      msgs.push(await expectError('not an output', async () => {
        const e2 = await g.compile({ outputs: [z] });
        await e2.run({ a: new Float32Array(6) });
        await e2.read(y);
      }));
      assert(/was not listed in compile\(\{ outputs \}\)/.test(msgs[9]), msgs[9]);
      g.destroy();
      msgs.push(await expectError('after destroy', () => op.relu(y)));
      assert(/graph 'bad' was destroyed: tensor 'relu#\d+' \[2, 3\] f32 can no longer be used/.test(msgs[10]), msgs[10]);
      msgs.push(await expectError('run after destroy', () => exe.run({ a: new Float32Array(6) })));
      assert(/destroyed/.test(msgs[11]), msgs[11]);
      return msgs.map((s) => s.slice(0, 60)).join(' | ');
    },
  },
  {
    name: 'graph: cast f32 <-> f16 (packed words, no shader-f16 needed) rounds to nearest even; its gradient casts back',
    async run(ctx) {
      const g = new Graph(ctx, 'cast');
      try {
        const n = 37;
        const xv = randomF32(n, 77, -4, 4);
        // ties and edge cases: 1 + 2^-11 (tie, to even 1), 1 + 3 * 2^-11 (tie, up), a subnormal, 65504 (max).
        xv.set([1 + 2 ** -11, 1 + 3 * 2 ** -11, 3e-6, 65504, -0.1]);
        const x = g.input('x', [n], 'f32', { requiresGrad: true });
        const h = g.input('h', [5], 'f16');
        const y16 = op.cast(x, 'f16');
        const z = op.cast(y16, 'f32');
        const R = randomF32(n, 78);
        const gx = g.backward(op.sum(op.mul(z, g.constant(R, [n]))), [x]).get(x)!;
        const hz = op.cast(h, 'f32');
        const exe = await g.compile({ outputs: [y16, z, gx, hz] });
        const hv = Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7bff, 0x3555]);
        await exe.run({ x: xv, h: hv });
        const want = Array.from(xv, (v) => f16ToF32(f32ToF16(v)));
        const got16 = await exe.read(y16);
        const gotZ = await exe.read(z);
        for (let i = 0; i < n; i++) {
          assert(got16[i] === want[i] && gotZ[i] === want[i], `cast x[${i}] = ${xv[i]}: f16 ${got16[i]}, back to f32 ${gotZ[i]}, want ${want[i]}`);
        }
        const gg = await exe.read(gx);
        for (let i = 0; i < n; i++) assert(gg[i] === f16ToF32(f32ToF16(R[i])), `grad[${i}] = ${gg[i]}, want f16(${R[i]})`);
        const gotH = await exe.read(hz);
        hv.forEach((b, i) => assert(gotH[i] === f16ToF32(b), `f16 input ${b.toString(16)} -> ${gotH[i]}, want ${f16ToF32(b)}`));
        return `${n} values incl. ties and a subnormal: exact; f16 feed of 5 values exact`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'graph: out-of-range ids and targets give NaN, never a clamped read',
    async run(ctx) {
      const g = new Graph(ctx, 'nan');
      try {
        const table = g.param('table', [3, 2], Float32Array.of(1, 2, 3, 4, 5, 6));
        const ids = g.input('ids', [3], 'i32');
        const logits = g.input('logits', [2, 3]);
        const t = g.input('t', [2], 'i32');
        const e = op.embedding(table, ids);
        const ce = op.crossEntropy(logits, t);
        const exe = await g.compile({ outputs: [e, ce] });
        await exe.run({ ids: Int32Array.of(2, 3, -1), logits: new Float32Array(6), t: Int32Array.of(0, 7) });
        const ev = Array.from(await exe.read(e));
        assert(ev[0] === 5 && ev[1] === 6 && ev.slice(2).every(Number.isNaN), `embedding rows: ${ev}`);
        const l = (await exe.read(ce))[0];
        assert(Number.isNaN(l), `cross-entropy with target 7 of 3 classes gave ${l}`);
        return `embedding [${ev.map((v) => v.toString()).join(', ')}], loss ${l}`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'graph: a graph on a lost device gives a clear error',
    async run(ctx) {
      // A device of our own from a fresh adapter (the shared device must live on), destroyed for real. Where no
      // second adapter can be had (Dawn in Node here: no navigator.gpu, and an adapter hands out one device),
      // a context whose `lost` is set stands in for it.
      let dev: GPUDevice | null = null;
      let adapter: GPUAdapter | null = null;
      try {
        adapter = (await (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu?.requestAdapter()) ?? null;
        dev = adapter ? await adapter.requestDevice() : null;
      } catch {
        dev = null;
      }
      const real = dev !== null;
      const c2 = real ? new GpuContext({ adapter: adapter!, device: dev!, runtime: ctx.info.runtime }) : (Object.create(ctx) as GpuContext);
      const g = new Graph(c2, 'doomed');
      const x = g.input('x', [4]);
      const y = op.relu(x);
      const exe = await g.compile({ outputs: [y] });
      await exe.run({ x: new Float32Array([1, -1, 2, -2]) });
      if (real) {
        dev!.destroy();
        await dev!.lost;
      } else {
        (c2 as { lost: GPUDeviceLostInfo | null }).lost = { reason: 'unknown', message: 'simulated loss' } as GPUDeviceLostInfo;
      }
      const msg = await expectError('lost', () => exe.run({ x: new Float32Array(4) }));
      assert(/run 'doomed': cannot use the graph: GPU device lost/.test(msg), msg);
      if (!real) (c2 as { lost: GPUDeviceLostInfo | null }).lost = null;
      g.destroy();
      return `${real ? 'real' : 'simulated'} loss: ${msg}`;
    },
  },
];
