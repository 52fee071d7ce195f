// nibble gguf FILE [--json] [--check] [--all] [--run NAME ...] [--tokens M]: what a GGUF model file holds and what
// nibble runs of it. Reads the header only (openGguf over fs.openAsBlob, so a file of many gigabytes is not loaded);
// --check also reads every tensor nibble decodes and imports it (src/quant/gguf.ts importGguf), naming any block whose
// scales are not finite; --run reads the named weights and runs each on the fused matmul on this machine's adapter
// (src/kernels/gguf_weight.ts: timed, checked against the CPU reference on sampled columns).
import { openAsBlob, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatBytes as size, GgufFileError, ggufReadable, httpRangeSource, openGguf, type GgufTensorInfo, type GgufValue } from '../../src/io/gguf.js';
import { GGUF_BLOCKS, ggufKernelUse as ggufUse, importGguf, type GgufBlockType } from '../../src/quant/gguf.js';
import { runGgufWeight, type GgufWeightRun } from '../../src/kernels/gguf_weight.js';
import { createNodeContext } from '../node.js';
import { UsageError, type Command } from './command.js';

function valueText(v: GgufValue, max = 6): string {
  if (v.type !== 'array') return typeof v.value === 'string' ? JSON.stringify(v.value.length > 60 ? `${v.value.slice(0, 60)}...` : v.value) : String(v.value);
  const items = v.value.slice(0, max).map((x) => valueText(x, 2));
  return `[${items.join(', ')}${v.value.length > max ? `, ... (${v.value.length})` : ''}]`;
}


export const ggufCommand: Command = {
  summary: 'show what a GGUF model file holds (metadata, tensors, their types) and which nibble kernels run each',
  help: `usage:
  nibble gguf FILE|URL [--json] [--check] [--all] [--run NAME ...] [--tokens M]
  (an http(s) URL is read by Range requests: the header, then only the tensors --check or --run need)
options:
  --json      machine-readable (arrays in the metadata cut to their first 16 items, with their length)
  --check     also read and import every tensor nibble decodes (exit 1 naming the first bad block)
  --all       list every tensor (default: the first 40, and a count by type)
  --run NAME  run that weight on the fused matmul on this machine's adapter (repeatable; 'all': every weight
              nibble runs): wall ms (median of 5) and a check of 16 sampled columns against the CPU reference
              (exit 1 if one is outside the bound)
  --tokens M  rows of x for --run (default 1: decode)`,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, check: { type: 'boolean' }, all: { type: 'boolean' }, run: { type: 'string', multiple: true }, tokens: { type: 'string' } }, allowPositionals: true, strict: true }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (positionals.length !== 1) throw new UsageError(`gguf: give one file (got ${positionals.length}); nibble gguf --help`);
    const path = positionals[0];
    const remote = /^https?:\/\//.test(path);
    if (!remote) {
      try {
        if (!statSync(path).isFile()) throw new UsageError(`gguf: ${path} is not a file`);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`gguf: cannot read ${path}: ${(e as Error).message}`);
      }
    }
    let g;
    try {
      // A URL is read by HTTP ranges: the header, then only the tensors --check / --run ask for.
      g = await openGguf(remote ? await httpRangeSource(path) : await openAsBlob(path), path);
    } catch (e) {
      if (e instanceof GgufFileError) throw new UsageError(e.message);
      if (remote) throw new UsageError(`gguf: cannot read ${path}: ${(e as Error).message}`);
      throw e;
    }
    const h = g.header;
    const byType = new Map<string, { count: number; bytes: number }>();
    for (const t of h.tensors) {
      const e = byType.get(t.type) ?? { count: 0, bytes: 0 };
      byType.set(t.type, { count: e.count + 1, bytes: e.bytes + t.bytes });
    }
    const checks: { name: string; ok: boolean; message: string }[] = [];
    if (values.check) {
      for (const t of h.tensors.filter((x) => x.type in GGUF_BLOCKS)) {
        const data = (await g.tensor(t.name)).data;
        try {
          importGguf(t.type as GgufBlockType, data, t.shape.slice(0, -1).reduce((a, b) => a * b, 1), t.shape[t.shape.length - 1], t.name);
          checks.push({ name: t.name, ok: true, message: 'ok' });
        } catch (e) {
          checks.push({ name: t.name, ok: false, message: (e as Error).message });
        }
      }
    }
    const bad = checks.filter((c) => !c.ok);
    const M = values.tokens === undefined ? 1 : Number(values.tokens);
    if (!Number.isInteger(M) || M < 1) throw new UsageError(`gguf: --tokens ${values.tokens} is not a positive integer`);
    const runnable = h.tensors.filter((t) => t.type in GGUF_BLOCKS && t.shape.length === 2);
    const names = (values.run ?? []).flatMap((n) => (n === 'all' ? runnable.map((t) => t.name) : [n]));
    for (const n of names) {
      const t = h.tensors.find((x) => x.name === n);
      if (!t) throw new UsageError(`gguf: --run ${n}: the file has no tensor '${n}'`);
      if (!runnable.includes(t)) throw new UsageError(`gguf: --run ${n}: ${t.type} [${t.shape.join(', ')}] does not run on the fused matmul (${ggufUse(t.type)})`);
    }
    const runs: GgufWeightRun[] = [];
    if (names.length) {
      const ctx = await createNodeContext();
      try {
        for (const n of names) runs.push(await runGgufWeight(ctx, await g.tensor(n), { M }));
      } finally {
        ctx.destroy();
      }
    }
    const outside = runs.filter((r) => !r.ok);
    if (values.json) {
      const cut = (v: GgufValue): GgufValue | { type: 'array'; itemType: string; length: number; first: GgufValue[] } =>
        v.type === 'array' && v.value.length > 16 ? { type: 'array', itemType: v.itemType, length: v.value.length, first: v.value.slice(0, 16) } : v;
      const meta = Object.fromEntries(Object.entries(h.metadata).map(([k, v]) => [k, cut(v)]));
      const tensor = (t: GgufTensorInfo) => ({ name: t.name, type: t.type, shape: t.shape, bytes: t.bytes, fileOffset: t.fileOffset, nibble: ggufUse(t.type) });
      console.log(JSON.stringify({ file: path, version: h.version, alignment: h.alignment, fileSize: h.fileSize, metadata: meta, tensors: h.tensors.map(tensor), ...(values.check ? { check: checks } : {}), ...(runs.length ? { runs } : {}) }, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
    } else {
      const lines = [`${path}: GGUF v${h.version}, ${size(h.fileSize)}, alignment ${h.alignment}, ${h.tensors.length} tensors, ${Object.keys(h.metadata).length} metadata keys`, '', 'metadata'];
      const kw = Math.min(40, Math.max(0, ...Object.keys(h.metadata).map((k) => k.length)));
      for (const [k, v] of Object.entries(h.metadata)) lines.push(`  ${k.padEnd(kw)}  ${v.type === 'array' ? `${v.itemType}[${v.value.length}]` : v.type}  ${valueText(v)}`);
      lines.push('', 'tensor types');
      for (const [t, e] of byType) lines.push(`  ${t.padEnd(8)} ${String(e.count).padStart(5)} tensor${e.count === 1 ? ' ' : 's'} ${size(e.bytes).padStart(11)}  ${ggufUse(t)}`);
      const unread = [...byType.keys()].filter((t) => !ggufReadable(t as GgufTensorInfo['type']));
      if (unread.length) lines.push(`  (nibble reads the header and bytes of ${unread.join(', ')} tensors but does not decode them)`);
      const shown = values.all ? h.tensors : h.tensors.slice(0, 40);
      const nw = Math.max(4, ...shown.map((t) => t.name.length));
      lines.push('', 'tensors');
      for (const t of shown) lines.push(`  ${t.name.padEnd(nw)}  ${t.type.padEnd(7)} [${t.shape.join(', ')}]`.padEnd(nw + 34) + ` ${size(t.bytes).padStart(10)}`);
      if (shown.length < h.tensors.length) lines.push(`  ... ${h.tensors.length - shown.length} more (--all)`);
      if (values.check) lines.push('', `check: ${checks.length - bad.length} of ${checks.length} quantized tensors import cleanly${bad.length ? `; ${bad[0].message}` : ''}`);
      if (runs.length) {
        lines.push('', `run (${M} x K x N, random f16 x)`);
        for (const r of runs) lines.push(`  ${r.tensor}: ${r.type} [${r.N}, ${r.K}] on ${r.kernel}: ${r.ms.toFixed(3)} ms, ${size(r.gpuBytes)} on the GPU; ${r.columns} sampled columns ${r.ok ? 'within' : 'OUTSIDE'} the bound (max error ${r.maxErr.toExponential(1)})`);
      }
      console.log(lines.join('\n'));
    }
    return bad.length || outside.length ? 1 : 0;
  },
};
