// Foundation kernels against src/ref, plus the binding and compile errors of the kernel layer.
import type { GpuContext } from '../../src/gpu/context.js';
import { getKernel } from '../../src/gpu/kernel.js';
import { planBinary, planPermuteColumns, planReduceSum, planScale } from '../../src/kernels/basic.js';
import { runDispatch } from '../../src/kernels/common.js';
import { planMatmulF32, type MatmulF32Shape } from '../../src/kernels/matmul.js';
import { addRef, mulRef, permuteColumnsRef, reduceSumRef, scaleRef } from '../../src/ref/basic.js';
import { toF16Array } from '../../src/quant/f16.js';
import { matmulRef } from '../../src/ref/matmul.js';
import { randomF32, randomPermutation } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import syntaxError from '../fixtures/syntax_error.wgsl?raw';
import { assert, check, expectError, type GpuCase } from './types.js';

const out = (ctx: GpuContext, n: number) => ctx.createBuffer(4 * n);


function elementwise(op: 'add' | 'mul' | 'scale', n: number): GpuCase {
  return {
    name: `${op} n=${n}`,
    async run(ctx) {
      const a = randomF32(n, 1);
      const b = randomF32(n, 2);
      const A = ctx.createBuffer(a);
      const B = ctx.createBuffer(b);
      const Y = out(ctx, n);
      const alpha = -1.75;
      await runDispatch(op === 'scale' ? await planScale(ctx, A, Y, n, alpha) : await planBinary(ctx, op, A, B, Y, n));
      const got = await ctx.readF32(Y, n);
      const ref = op === 'add' ? addRef(a, b) : op === 'mul' ? mulRef(a, b) : scaleRef(a, alpha);
      // One rounding of the exact result: |err| <= u |ref|.
      const r = compareBound(op, got, ref, ref.map(Math.abs), 1, 2 ** -24, 1);
      [A, B, Y].forEach((x) => x.destroy());
      return check(r);
    },
  };
}

function reduce(rows: number, cols: number): GpuCase {
  return {
    name: `reduce_sum ${rows}x${cols}`,
    async run(ctx) {
      const x = randomF32(rows * cols, 3);
      const X = ctx.createBuffer(x);
      const Y = out(ctx, rows);
      await runDispatch(await planReduceSum(ctx, X, Y, rows, cols));
      const ref = reduceSumRef(x, rows, cols);
      const r = compareBound('reduce_sum', await ctx.readF32(Y, rows), ref.y, ref.absSum, cols);
      X.destroy();
      Y.destroy();
      return check(r);
    },
  };
}

function matmul(s: MatmulF32Shape, variant: 'naive' | 'block4' | 'tiled'): GpuCase {
  const tag = `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
  const batch = s.batch ?? 1;
  const tiled = variant === 'tiled';
  return {
    name: `matmul_f32 ${variant} ${tag} ${batch > 1 ? `${batch}x` : ''}${s.M}x${s.N}x${s.K}${s.strideB === 0 ? ' (B broadcast)' : ''}`,
    async run(ctx) {
      const { M, N, K } = s;
      const strideB = s.strideB ?? K * N;
      const a = randomF32(batch * M * K, 4);
      const b = randomF32(strideB === 0 ? K * N : batch * K * N, 5);
      const A = ctx.createBuffer(a);
      const B = ctx.createBuffer(b);
      const C = out(ctx, batch * M * N);
      await runDispatch(await planMatmulF32(ctx, A, B, C, { ...s, tiled, block: variant === 'block4' }));
      const got = await ctx.readF32(C, batch * M * N);
      const msgs: string[] = [];
      for (let i = 0; i < batch; i++) {
        const ref = matmulRef(a.subarray(i * M * K, (i + 1) * M * K), b.subarray(i * strideB, i * strideB + K * N), s);
        msgs.push(check(compareBound(`batch ${i}`, got.subarray(i * M * N, (i + 1) * M * N), ref.c, ref.absSum, K)));
      }
      if (variant === 'block4') {
        // The same fma sequence per output as the naive shape: bit-identical results.
        const C1 = out(ctx, batch * M * N);
        await runDispatch(await planMatmulF32(ctx, A, B, C1, { ...s, tiled: false, block: false }));
        msgs.push(check(compareExact('block4 vs naive', got, await ctx.readF32(C1, batch * M * N))));
        C1.destroy();
      }
      [A, B, C].forEach((x) => x.destroy());
      return msgs.join('; ');
    },
  };
}

const shapes: MatmulF32Shape[] = [
  { M: 1, N: 1, K: 1 },
  { M: 7, N: 13, K: 19 },
  { M: 65, N: 33, K: 40 },
  { M: 9, N: 20, K: 17, transA: true },
  { M: 9, N: 20, K: 17, transB: true },
  { M: 9, N: 20, K: 17, transA: true, transB: true },
  { M: 5, N: 6, K: 7, batch: 3 },
  { M: 5, N: 6, K: 7, batch: 2, strideB: 0 },
];

/** permute_cols against permuteColumnsRef, bit for bit: f32, and f16 pairs with odd K (rows start mid-word). */
function permuteCase(M: number, K: number, elem: 'f32' | 'f16'): GpuCase {
  return {
    name: `permute_cols ${elem} ${M}x${K}`,
    async run(ctx) {
      const perm = randomPermutation(K, M * 1000 + K);
      const P = ctx.createBuffer(perm, undefined, 'perm');
      const x32 = randomF32(M * K, K);
      const x = elem === 'f32' ? x32 : toF16Array(x32);
      const words = elem === 'f32' ? M * K : Math.ceil((M * K) / 2);
      const padded = new Uint8Array(4 * words);
      padded.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      const X = ctx.createBuffer(padded, undefined, 'x');
      const Y = ctx.createBuffer(4 * words, undefined, 'y');
      ctx.write(Y, new Uint32Array(words).fill(0xdeadbeef));
      await runDispatch(await planPermuteColumns(ctx, X, P, Y, M, K, elem));
      const want = new Uint8Array(4 * words);
      const ref = permuteColumnsRef(x, M, K, perm);
      want.set(new Uint8Array(ref.buffer, ref.byteOffset, ref.byteLength));
      const msg = check(compareExact(`permute_cols ${elem} ${M}x${K}`, await ctx.readU32(Y, words), new Uint32Array(want.buffer)));
      [P, X, Y].forEach((b) => b.destroy());
      return msg;
    },
  };
}

export const CASES: GpuCase[] = [
  permuteCase(3, 64, 'f32'),
  permuteCase(5, 33, 'f16'),
  permuteCase(1, 4096, 'f16'),
  elementwise('add', 1),
  elementwise('add', 1000),
  elementwise('mul', 777),
  elementwise('scale', 1025),
  reduce(1, 5000),
  reduce(3, 1000),
  reduce(70, 1),
  ...shapes.flatMap((s) => [matmul(s, 'naive'), matmul(s, 'block4'), matmul(s, 'tiled')]),
  {
    name: 'error: WGSL syntax error names the file and line',
    async run(ctx) {
      const msg = await expectError('compile', () => getKernel(ctx, { name: 'broken', shader: 'fixtures/syntax_error', sources: { 'fixtures/syntax_error': syntaxError } }));
      assert(/kernel 'broken' failed to compile/.test(msg), `message does not name the kernel: ${msg}`);
      assert(/shaders\/fixtures\/syntax_error\.wgsl:6:\d+: error/.test(msg), `message does not give file:line 6: ${msg}`);
      return msg.split('\n')[1];
    },
  },
  {
    name: 'error: missing, extra, wrong-usage and too-small bindings are refused before dispatch',
    async run(ctx) {
      const n = 256;
      const A = ctx.createBuffer(randomF32(n, 1));
      const B = ctx.createBuffer(randomF32(n, 2));
      const Y = out(ctx, n);
      const d = await planBinary(ctx, 'add', A, B, Y, n);
      const msgs: string[] = [];
      const { b: _b, ...noB } = d.args.bindings;
      msgs.push(await expectError('missing', () => runDispatch({ ...d, args: { ...d.args, bindings: noB } })));
      assert(/binding 'b' .* is missing/.test(msgs[0]), msgs[0]);
      msgs.push(await expectError('extra', () => runDispatch({ ...d, args: { ...d.args, bindings: { ...d.args.bindings, bogus: A } } })));
      assert(/binding 'bogus' is not used by the shader/.test(msgs[1]), msgs[1]);
      const mapped = ctx.device.createBuffer({ size: 4 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'staging' });
      msgs.push(await expectError('usage', () => runDispatch({ ...d, args: { ...d.args, bindings: { ...d.args.bindings, y: mapped } } })));
      assert(/binding 'y' .* lacks STORAGE usage/.test(msgs[2]), msgs[2]);
      const small = out(ctx, n / 2);
      msgs.push(await expectError('small', () => runDispatch({ ...d, args: { ...d.args, bindings: { ...d.args.bindings, a: small } } })));
      assert(/binding 'a' .* is too small: 512 bytes bound, this dispatch needs at least 1024/.test(msgs[3]), msgs[3]);
      msgs.push(await expectError('params', () => runDispatch({ ...d, args: { ...d.args, params: { n } } })));
      assert(/uniform 'params.row_pitch' \(u32\) was not given/.test(msgs[4]), msgs[4]);
      // Nothing was dispatched: y is still zero.
      const y = await ctx.readF32(Y, n);
      assert(y.every((v) => v === 0), 'a refused dispatch wrote to y');
      [A, B, Y, mapped, small].forEach((x) => x.destroy());
      return msgs.map((m) => m.split(':').slice(0, 3).join(':')).join(' | ');
    },
  },
  {
    name: "error: a buffer over the adapter's maxBufferSize is refused, naming it, and the device stays usable",
    async run(ctx) {
      const max = ctx.limits.maxBufferSize;
      const msg = await expectError('maxBufferSize', () => ctx.createBuffer(max + 4, undefined, 'lm_head.codes'));
      assert(new RegExp(`buffer 'lm_head\\.codes' of ${max + 4} bytes exceeds the adapter's maxBufferSize \\(${max}\\)`).test(msg), msg);
      const ok = ctx.createBuffer(new Float32Array([1, 2, 3]), undefined, 'after');
      const back = await ctx.readF32(ok, 3);
      ok.destroy();
      assert(back[2] === 3, `the context no longer works after the refusal: read ${back[2]}`);
      return msg;
    },
  },
];
