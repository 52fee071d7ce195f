// nibble kernel <name> --in in.safetensors --out out.safetensors [--param key=value ...]
// nibble kernel --list [--json]
// Runs one registered kernel (src/kernels/runner.ts) on tensors from a safetensors file and writes its outputs to
// another, atomically: on any error nothing is written.
import { parseArgs } from 'node:util';
import { GpuError } from '../../src/gpu/context.js';
import { describeRunnable, findRunnable, parseParams, RUNNABLE_KERNELS, runKernel } from '../../src/kernels/runner.js';
import { createNodeContext } from '../node.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../safetensors.js';
import { UsageError, type Command } from './command.js';

function parseParamArgs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--param '${p}' is not key=value`);
    const k = p.slice(0, i).trim();
    if (k in out) throw new UsageError(`--param '${k}' is given twice`);
    out[k] = p.slice(i + 1);
  }
  return out;
}

export const kernelCommand: Command = {
  summary: 'run one kernel on tensors from a safetensors file and write its outputs to another (--list: the kernels)',
  help: `usage:
  nibble kernel <name> --in inputs.safetensors --out outputs.safetensors [--param key=value ...]
  nibble kernel --list [--json]
options:
  --in FILE        input tensors, by the names the kernel lists
  --out FILE       where the outputs go (written atomically; nothing is written on error)
  --param K=V      a kernel parameter (repeatable)
  --list           every kernel with its input/output tensors and parameters
  --json           with --list: machine-readable`,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        options: { in: { type: 'string' }, out: { type: 'string' }, param: { type: 'string', multiple: true }, list: { type: 'boolean' }, json: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (values.list) {
      if (values.json) console.log(JSON.stringify(RUNNABLE_KERNELS.map(({ run: _run, ...k }) => k), null, 2));
      else console.log(RUNNABLE_KERNELS.map(describeRunnable).join('\n\n'));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`give one kernel name (kernels: ${RUNNABLE_KERNELS.map((k) => k.name).join(', ')}); see nibble kernel --list`);
    if (!values.in || !values.out) throw new UsageError('--in and --out are required');
    const name = positionals[0];
    try {
      const params = parseParamArgs(values.param ?? []);
      const typed = parseParams(findRunnable(name), params);
      let input;
      try {
        input = readSafetensorsFile(values.in);
      } catch (e) {
        // fs errors (EISDIR, ENOTDIR, ENOENT) do not all name the path: say which file.
        const m = (e as Error).message;
        throw new UsageError(m.includes(values.in) ? m : `--in ${values.in}: ${m}`);
      }
      const ctx = await createNodeContext();
      try {
        const t0 = performance.now();
        const out = await runKernel(ctx, name, input.tensors, params);
        const ms = performance.now() - t0;
        writeSafetensorsFile(values.out, out, {
          kernel: name,
          params: JSON.stringify(typed),
          adapter: [ctx.info.vendor, ctx.info.architecture, ctx.info.device, ctx.info.description].filter(Boolean).join(' / '),
        });
        for (const [k, t] of Object.entries(out)) console.log(`${k.padEnd(8)} ${t.dtype.padEnd(4)} [${t.shape.join(', ')}]`);
        console.log(`wrote ${values.out} (${name}, ${ms.toFixed(0)} ms incl. compile, ${ctx.info.isFallback ? 'software adapter' : 'hardware adapter'})`);
      } finally {
        ctx.destroy();
      }
    } catch (e) {
      if (e instanceof UsageError || e instanceof GpuError) throw e;
      const err = e as NodeJS.ErrnoException;
      // Bad input (tensor names, dtypes, shapes, values, files): the user's to fix, exit 2, no stack.
      throw new UsageError(err.message);
    }
    return 0;
  },
};
