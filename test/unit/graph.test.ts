// Graph building without a GPU: shape inference, views that record no dispatch, where copies are inserted,
// the backward graph's structure and cache, and build-time errors.
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/ops/index.js';

// Building touches no device; matmul reads one limit.
const fakeCtx = { limits: { minStorageBufferOffsetAlignment: 256 } } as unknown as GpuContext;
const dispatching = (g: Graph) => g.nodes.filter((n) => n.plan).map((n) => n.op);

describe('graph building (no GPU)', () => {
  it('infers broadcast and matmul shapes', () => {
    const g = new Graph(fakeCtx);
    const a = g.input('a', [2, 1, 3, 4]);
    const b = g.input('b', [5, 4, 6]);
    expect(op.matmul(a, b).shape).toEqual([2, 5, 3, 6]);
    expect(op.add(g.input('c', [3, 1]), g.input('d', [4])).shape).toEqual([3, 4]);
    expect(op.sum(g.input('e', [2, 3, 4]), [0, 2], true).shape).toEqual([1, 3, 1]);
    expect(op.crossEntropy(g.input('l', [6, 5]), g.input('t', [6], 'i32')).shape).toEqual([]);
  });

  it('transpose, permute and slice are views (no dispatch); matmul reads transposed views directly', () => {
    const g = new Graph(fakeCtx);
    const x = g.input('x', [4, 6]);
    const w = g.input('w', [5, 6]);
    const t = op.transpose(w);
    expect(t.strides).toEqual([1, 6]);
    const s = op.slice(x, 1, 2, 5);
    expect([s.offset, s.shape, s.strides]).toEqual([2, [4, 3], [6, 1]]);
    op.matmul(x, t);
    expect(dispatching(g)).toEqual(['matmul']);
  });

  it('matmul reads a storage-aligned slice in place; an unaligned one is copied', () => {
    const g = new Graph(fakeCtx);
    const a = g.input('a', [3, 64, 4]);
    const b = g.input('b', [4, 3]);
    op.matmul(op.slice(a, 0, 1, 3), b); // offset 256 floats = 1024 bytes
    expect(dispatching(g)).toEqual(['matmul']);
    op.matmul(op.slice(a, 1, 1, 3), b); // offset 4 floats
    expect(dispatching(g)).toEqual(['matmul', 'contiguous', 'matmul']);
  });

  it('reshape of a non-contiguous view inserts one copy; softmax of a transposed view copies first', () => {
    const g = new Graph(fakeCtx);
    const x = g.input('x', [3, 4]);
    op.reshape(op.transpose(x), [12]);
    expect(dispatching(g)).toEqual(['contiguous']);
    op.softmax(op.transpose(x));
    expect(dispatching(g)).toEqual(['contiguous', 'contiguous', 'softmax']);
  });

  it('backward builds once, accumulates a tensor used twice, and routes broadcast grads through sum', () => {
    const g = new Graph(fakeCtx);
    const x = g.input('x', [4, 3], 'f32', { requiresGrad: true });
    const b = g.param('b', [3], new Float32Array(3));
    const y = op.add(op.mul(x, x), b);
    const loss = op.sum(y);
    const grads = g.backward(loss, [x, b]);
    const n = g.nodes.length;
    expect(g.backward(loss, [x, b])).toBe(grads);
    expect(g.nodes.length).toBe(n);
    expect(grads.get(x)!.node!.op).toBe('add'); // dy*x + dy*x accumulated
    expect(grads.get(b)!.shape).toEqual([3]);
    expect(dispatching(g)).toContain('sum');
  });

  it('refuses bad shapes and dtypes with the op, inputs and shapes named', () => {
    const g = new Graph(fakeCtx, 'g');
    const a = g.input('a', [2, 3]);
    expect(() => op.matmul(a, g.input('b', [4, 2]))).toThrow(/op 'matmul' \(inputs: 'a' \[2, 3\] f32, 'b' \[4, 2\] f32\): inner dims differ: a has K=3, b has K=4/);
    expect(() => op.layerNorm(a, g.input('g1', [2]), g.input('b1', [2]))).toThrow(/op 'layer_norm' .*gamma and beta must be \[3\]/);
    expect(() => op.embedding(a, g.input('i', [2]))).toThrow(/op 'embedding' .*ids 'i' \[2\] f32 must be i32/);
    expect(() => op.slice(a, 1, 2, 5)).toThrow(/op 'slice' .*range 2:5 .*outside 0:3/);
    expect(() => op.rope(g.input('r', [2, 3]))).toThrow(/op 'rope' .*D even/);
    expect(() => g.input('a', [1])).toThrow(/the name 'a' is already used/);
    expect(() => g.input('z', [0, 2])).toThrow(/shape \[0,2\] must be a list of positive integers/);
    expect(() => g.backward(a)).toThrow(/op 'backward' .*the loss must be a single f32 element/);
    const q = g.quantParam('wq', 4, 3, { bits: 8, groupSize: 32, mode: 'symmetric' }, { codes: new Uint32Array(4), scales: new Float32Array(4) });
    expect(() => op.matmul(g.input('a3', [2, 5]), q)).toThrow(/op 'matmul' .*quantized weight must be \[N, K\] with K = a's last dim/);
  });

  it('a registered quantized matmul plugs in: forward node reads codes + scales; dx goes through gradInput', () => {
    op.registerQuantMatmul('q4', { forward: async () => [], gradInput: async () => [] });
    const g = new Graph(fakeCtx);
    const x = g.input('x', [2, 5, 64], 'f32', { requiresGrad: true });
    const w = g.quantParam('w', 16, 64, { bits: 4, groupSize: 32, mode: 'asymmetric' }, { codes: new Uint32Array(16 * 8), scales: new Float32Array(32), zeros: new Float32Array(32) });
    const y = op.matmul(x, w);
    expect(y.shape).toEqual([2, 5, 16]);
    const node = g.nodes.find((n) => n.op === 'matmul_q')!;
    expect(node.inputs.map((t) => t.name)).toEqual([node.inputs[0].name, 'w', 'w.scales', 'w.zeros']);
    const gx = g.backward(op.sum(y), [x]).get(x)!;
    expect(gx.shape).toEqual([2, 5, 64]);
    expect(g.nodes.some((n) => n.op === 'matmul_q_grad')).toBe(true);
  });
});
