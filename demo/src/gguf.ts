// GGUF tab: a llama.cpp model file opened lazily (openGguf over the File: its header, then one tensor), what it holds,
// and one of its weights run through the fused matmul on this page's GPU, checked on sampled columns.
import { ggufReadable, openGguf, type GgufReader, type GgufTensorInfo } from '../../src/io/gguf.js';
import { destroyQuantized, uploadQuantizedShards } from '../../src/kernels/quant.js';
import { matmulQ, matmulWeights, pickPath } from '../../src/kernels/matmul.js';
import { GGUF_BLOCKS, dequantizeGguf, ggufKernelUse, importGguf, type GgufBlockType } from '../../src/quant/gguf.js';
import { toF16Array, fromF16Array } from '../../src/quant/f16.js';
import { matmulRef } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, U_F16, U_F32 } from '../../src/ref/tolerance.js';
import { $, app, hideError, showError } from './app.js';

let reader: GgufReader | null = null;
let busy = false;

const size = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

function fill(table: HTMLTableElement, head: string[], rows: string[][]): void {
  table.innerHTML = `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  for (const r of rows) {
    const tr = table.insertRow();
    for (const c of r) tr.insertCell().textContent = c;
  }
}

/** Weights the fused matmul can take: a block type nibble decodes, two dims (rows [N, K]). */
const runnable = (t: GgufTensorInfo) => t.type in GGUF_BLOCKS && t.shape.length === 2;

async function open(blob: Blob, name: string): Promise<void> {
  hideError($('gguf-error'));
  $('gguf-result').textContent = '';
  reader = null;
  $<HTMLButtonElement>('gguf-run').disabled = true;
  const g = await openGguf(blob, name);
  reader = g;
  const h = g.header;
  const meta = (k: string) => (h.metadata[k] && h.metadata[k].type !== 'array' ? String(h.metadata[k].value) : null);
  const arch = meta('general.architecture');
  $('gguf-summary').textContent = `${name}: GGUF v${h.version}, ${size(h.fileSize)}, ${h.tensors.length} tensors, ${Object.keys(h.metadata).length} metadata keys${arch ? `, architecture ${arch}` : ''}${meta('general.name') ? ` (${meta('general.name')})` : ''}`;
  const byType = new Map<string, { count: number; bytes: number }>();
  for (const t of h.tensors) {
    const e = byType.get(t.type) ?? { count: 0, bytes: 0 };
    byType.set(t.type, { count: e.count + 1, bytes: e.bytes + t.bytes });
  }
  fill($('gguf-types'), ['type', 'tensors', 'bytes', 'nibble runs it on'], [...byType].map(([t, e]) => [t, String(e.count), size(e.bytes), ggufKernelUse(t)]));
  fill($('gguf-tensors'), ['tensor', 'type', 'shape', 'bytes', 'read'], h.tensors.slice(0, 300).map((t) => [t.name, t.type, `[${t.shape.join(', ')}]`, size(t.bytes), ggufReadable(t.type) ? 'yes' : 'no']));
  const sel = $<HTMLSelectElement>('gguf-tensor');
  sel.innerHTML = '';
  for (const t of h.tensors.filter(runnable)) sel.add(new Option(`${t.name} (${t.type} [${t.shape.join(', ')}])`, t.name));
  $<HTMLButtonElement>('gguf-run').disabled = sel.options.length === 0;
  $('gguf-tensors').dataset.rows = String(h.tensors.length);
}

/** Runs the chosen weight at M = 1 on the fused matmul; checks 16 sampled columns against the f64 reference. */
async function run(): Promise<void> {
  if (!reader || busy) return;
  busy = true;
  hideError($('gguf-error'));
  const ctx = app.ctx;
  const bufs: GPUBuffer[] = [];
  let shards: ReturnType<typeof uploadQuantizedShards> = [];
  try {
    const t = await reader.tensor($<HTMLSelectElement>('gguf-tensor').value);
    const type = t.type as GgufBlockType;
    const [N, K] = t.shape;
    const q = importGguf(type, t.data, N, K, t.name);
    shards = uploadQuantizedShards(ctx, q, t.name);
    const w = matmulWeights(shards, t.name);
    const xh = toF16Array(randomF32(K, 7, -1, 1));
    const X = ctx.createBuffer(xh, undefined, 'x');
    const Y = ctx.createBuffer(4 * N, undefined, 'y');
    bufs.push(X, Y);
    const once = async () => {
      const t0 = performance.now();
      await matmulQ(ctx, X, w, Y, { M: 1, xType: 'f16' });
      await ctx.device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    await once(); // compiles
    const ms = await once();
    const y = await ctx.readF32(Y, N);
    // The reference on 16 columns: those rows of the file dequantized by the block decoder, then f64.
    const cols = [...new Set(Array.from({ length: 16 }, (_, i) => Math.floor((i * (N - 1)) / 15)))];
    const rowBytes = t.data.length / N;
    const wSub = new Float32Array(cols.length * K);
    cols.forEach((n, j) => wSub.set(dequantizeGguf(type, t.data.subarray(n * rowBytes, (n + 1) * rowBytes), 1, K), j * K));
    const ref = matmulRef(fromF16Array(xh), wSub, { M: 1, N: cols.length, K, transB: true });
    const u = ctx.caps.shaderF16 ? U_F16 : U_F32;
    const r = compareBound(t.name, cols.map((n) => y[n]), ref.c, ref.absSum.map((a) => 2 * (K + 1) * u * a), 1, 1, 1);
    const storage = shards[0].storage ? `, compact ${shards[0].storage} scales` : '';
    $('gguf-result').textContent = `${t.name}: ${type} [${N}, ${K}] on matmul_w4a16${q.scheme.bits === 8 ? ' bits=8' : ''} (${pickPath(ctx, 1)} path${storage}), 1 x ${K} x ${N}: ${ms.toFixed(2)} ms (wall, second run); ${cols.length} sampled columns ${r.ok ? 'within' : 'OUTSIDE'} the bound (max error ${r.maxErr.toExponential(1)})`;
    $('gguf-result').dataset.ok = String(r.ok);
  } catch (e) {
    showError($('gguf-error'), e);
  } finally {
    bufs.forEach((b) => b.destroy());
    shards.forEach(destroyQuantized);
    busy = false;
  }
}

export function setupGguf(): void {
  $<HTMLInputElement>('gguf-file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    try {
      await open(f, f.name);
    } catch (e) {
      showError($('gguf-error'), e);
    }
  });
  $('gguf-sample').addEventListener('click', async () => {
    try {
      const res = await fetch(new URL('models/sample.gguf', document.baseURI).href);
      if (!res.ok) throw new Error(`GET models/sample.gguf answered ${res.status}`);
      await open(await res.blob(), 'sample.gguf');
    } catch (e) {
      showError($('gguf-error'), e);
    }
  });
  $('gguf-run').addEventListener('click', () => void run());
}
