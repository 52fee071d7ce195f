// GGUF tab: a llama.cpp model file opened lazily (its header parsed in a worker by openGguf, then one tensor read),
// what it holds, and one of its weights run through the fused matmul on this page's GPU, checked on sampled columns.
import { formatBytes as size, GgufFileError, ggufReadable, httpRangeSource, type GgufSource, type GgufTensor, type GgufTensorInfo } from '../../src/io/gguf.js';
import { runGgufWeight } from '../../src/kernels/gguf_weight.js';
import { GGUF_BLOCKS, ggufKernelUse } from '../../src/quant/gguf.js';
import { $, app, hideError, showError } from './app.js';
import { parseGgufHeaderIn } from './parse.js';
import { GGUF_HEADER_CAP, mib, type GgufSummary } from './parse-protocol.js';

/** The open file: the worker's summary of its header, and where its tensors' bytes are read from. */
let reader: { src: GgufSource; name: string; h: GgufSummary } | null = null;
let busy = false;

/** One tensor's bytes: a slice of the source at the offset the worker's parser checked against the file size. */
async function readTensor(r: NonNullable<typeof reader>, name: string): Promise<GgufTensor> {
  const t = r.h.tensors.find((x) => x.name === name);
  if (!t) throw new GgufFileError(`${r.name}: tensor '${name}' is missing`);
  const { bytes: n, ...info } = t;
  const data = new Uint8Array(await r.src.slice(t.fileOffset, t.fileOffset + n).arrayBuffer());
  if (data.length !== n) throw new GgufFileError(`${r.name}: tensor '${name}': read ${data.length} of its ${n} bytes at file offset ${t.fileOffset} (the file changed?)`);
  return { ...info, data };
}


function fill(table: HTMLTableElement, head: string[], rows: string[][]): void {
  table.innerHTML = `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  for (const r of rows) {
    const tr = table.insertRow();
    for (const c of r) tr.insertCell().textContent = c;
  }
}

/** Weights the fused matmul can take: a block type nibble decodes, two dims (rows [N, K]). */
const runnable = (t: GgufTensorInfo) => t.type in GGUF_BLOCKS && t.shape.length === 2;

/** Opens a Blob, or an absolute URL (read by HTTP ranges): the header in a worker, the tensors later, here. */
async function open(file: Blob | string, name: string): Promise<void> {
  hideError($('gguf-error'));
  $('gguf-result').textContent = '';
  reader = null;
  $<HTMLButtonElement>('gguf-run').disabled = true;
  // Nothing of the previous file stays on show while this one opens (or is refused).
  $('gguf-summary').textContent = `opening ${name}…`;
  for (const id of ['gguf-types', 'gguf-tensors', 'gguf-tensor']) $(id).innerHTML = '';
  delete $('gguf-tensors').dataset.rows;
  const h = await parseGgufHeaderIn(file, name);
  const src = typeof file === 'string' ? await httpRangeSource(file) : file;
  if (src.size !== h.fileSize) throw new GgufFileError(`${name}: the file changed while it was opened (${h.fileSize} bytes, now ${src.size})`);
  reader = { src, name, h };
  $('gguf-summary').textContent = `${name}: GGUF v${h.version}, ${size(h.fileSize)}, ${h.tensors.length} tensors, ${h.metadataKeys} metadata keys${h.architecture ? `, architecture ${h.architecture}` : ''}${h.modelName ? ` (${h.modelName})` : ''}`;
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

/** Runs the chosen weight at M = 1 on the fused matmul (runGgufWeight: timed, checked on sampled columns). */
async function run(): Promise<void> {
  if (!reader || busy) return;
  busy = true;
  hideError($('gguf-error'));
  try {
    const t = await readTensor(reader, $<HTMLSelectElement>('gguf-tensor').value);
    const r = await runGgufWeight(app.ctx, t, { reps: 3 });
    $('gguf-result').textContent = `${r.tensor}: ${r.type} [${r.N}, ${r.K}] on ${r.kernel}, ${r.M} x ${r.K} x ${r.N}: ${r.ms.toFixed(2)} ms (wall, median of 3); ${r.columns} sampled columns ${r.ok ? 'within' : 'OUTSIDE'} the bound (max error ${r.maxErr.toExponential(1)})`;
    $('gguf-result').dataset.ok = String(r.ok);
  } catch (e) {
    showError($('gguf-error'), e);
  } finally {
    busy = false;
  }
}

export function setupGguf(): void {
  $('gguf-cap').textContent = `headers up to ${mib(GGUF_HEADER_CAP)} are read, in a worker; tensors only when run`;
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
  $('gguf-open-url').addEventListener('click', async () => {
    const url = $<HTMLInputElement>('gguf-url').value.trim();
    try {
      const abs = new URL(url, document.baseURI).href;
      await open(abs, abs.split('/').pop() || abs);
    } catch (e) {
      showError($('gguf-error'), e);
    }
  });
  $('gguf-run').addEventListener('click', () => void run());
}
