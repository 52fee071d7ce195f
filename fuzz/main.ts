// npm run fuzz -- [--seconds S] [--seed N] [--inputs N] [--input I]
// Runs the seeded mutation fuzzer over every parser of outside bytes (fuzz/targets.ts) in chunks, each in a worker
// watched for hangs (an input that does not return within WATCHDOG_MS is a hang: the worker is stopped and the run
// goes on after it) and for running out of memory (a crash, likewise), then prints a table per parser and a line per
// finding with the command that reproduces it.
// --input I runs input I of the seed alone, in this thread, and prints its mutations, outcome and stack.
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { emptyStats, mergeResults, runInput, type RunResult } from './engine.js';
import { TARGETS } from './targets.js';

const WATCHDOG_MS = 10_000;
const CHUNK = 2000;

/** A worker's heap limit: an input that needs more is a crash (out of memory), and the run goes on after it. */
const WORKER_HEAP_MB = 1024;

type Lost = { lostAt: number; kind: 'hang' | 'crash'; message: string };

function runChunk(seed: number, from: number, to: number, deadline: number): Promise<RunResult | Lost> {
  const heartbeat = new SharedArrayBuffer(4);
  const beat = new Int32Array(heartbeat);
  Atomics.store(beat, 0, from);
  const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { seed, from, to, deadline, heartbeat }, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
  return new Promise((resolve, reject) => {
    let last = -1;
    let since = Date.now();
    const timer = setInterval(() => {
      const i = Atomics.load(beat, 0);
      if (i !== last) [last, since] = [i, Date.now()];
      else if (Date.now() - since > WATCHDOG_MS) {
        clearInterval(timer);
        void w.terminate();
        resolve({ lostAt: i, kind: 'hang', message: `no return within ${WATCHDOG_MS} ms` });
      }
    }, 250);
    w.once('message', (m: RunResult) => {
      clearInterval(timer);
      resolve(m);
    });
    w.once('error', (e) => {
      clearInterval(timer);
      if ((e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') resolve({ lostAt: Atomics.load(beat, 0), kind: 'crash', message: `out of memory (worker heap limit ${WORKER_HEAP_MB} MiB)` });
      else reject(e);
    });
  });
}

function table(res: RunResult): string {
  const head = ['parser', 'inputs', 'accepted', 'refused (typed, named)', 'typed, unnamed', 'crashes', 'hangs >1s', 'alloc >64MiB', 'invariant', 'max alloc / input', 'max alloc', 'max ms'];
  const rows = Object.entries(res.stats).map(([t, s]) => [t, s.tried, s.accepted, s.typed, s.typedUnplaced, s.crashes, s.hangs, s.allocs, s.invariants, `${s.maxAllocRatio.toFixed(1)}x (input ${s.maxAllocRatioAt})`, `${(s.maxAllocBytes / 1024).toFixed(1)} KiB`, s.maxMs.toFixed(1)].map(String));
  const tot = emptyStats();
  for (const s of Object.values(res.stats)) for (const k of ['tried', 'accepted', 'typed', 'typedUnplaced', 'crashes', 'hangs', 'allocs', 'invariants'] as const) tot[k] += s[k];
  rows.push(['all', tot.tried, tot.accepted, tot.typed, tot.typedUnplaced, tot.crashes, tot.hangs, tot.allocs, tot.invariants, '', '', ''].map(String));
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((x, c) => x.padEnd(w[c])).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, seed: { type: 'string' }, inputs: { type: 'string' }, input: { type: 'string' } }, strict: true });
  const seed = Number(values.seed ?? 1);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed ${values.seed} is not a non-negative integer`);
  if (values.input !== undefined) {
    const x = await runInput(seed, Number(values.input));
    console.log(`target ${x.target}, ${x.bytes.length} bytes, mutations: ${x.mutations.join(', ') || 'none'}`);
    console.log(`outcome ${x.outcome.kind}${x.outcome.message ? `: ${x.outcome.message}` : ''} (${x.ms.toFixed(1)} ms, largest allocation ${x.alloc.largest} bytes)`);
    if (x.outcome.error) console.log((x.outcome.error as Error).stack);
    return x.outcome.kind === 'accepted' || x.outcome.kind === 'typed' ? 0 : 1;
  }
  const seconds = values.seconds !== undefined ? Number(values.seconds) : Infinity;
  const total = values.inputs !== undefined ? Number(values.inputs) : seconds === Infinity ? 10_000 : Infinity;
  const deadline = Date.now() + seconds * 1000;
  const res: RunResult = { stats: Object.fromEntries(TARGETS.map((t) => [t, emptyStats()])), findings: [], inputs: 0 };
  const t0 = Date.now();
  const queue: [number, number][] = [];
  for (let a = 0; a < Math.min(total, 1e12) && Date.now() < deadline; a += CHUNK) {
    queue.push([a, Math.min(a + CHUNK, total)]);
    while (queue.length && Date.now() < deadline) {
      const [from, to] = queue.shift()!;
      const r = await runChunk(seed, from, to, deadline);
      if ('lostAt' in r) {
        // An input that hung or ran out of memory took the worker with it: the inputs before it are run again
        // (their counts were lost with the worker), the run goes on after it.
        const t = TARGETS[r.lostAt % TARGETS.length];
        console.log(`input ${r.lostAt}: ${r.message}`);
        const stats = { ...emptyStats(), tried: 1, [r.kind === 'hang' ? 'hangs' : 'crashes']: 1 };
        mergeResults(res, { stats: { [t]: stats }, inputs: 1, findings: [{ target: t, kind: r.kind, message: r.message, mutations: [], seed, input: r.lostAt, count: 1 }] });
        queue.unshift([from, r.lostAt], [r.lostAt + 1, to]);
        continue;
      }
      mergeResults(res, r);
    }
    process.stderr.write(`\r${res.inputs} inputs, ${res.findings.length} findings, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  process.stderr.write('\n');
  console.log(`seed ${seed}: ${res.inputs} inputs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(table(res));
  for (const f of res.findings) {
    console.log(`finding ${f.kind} in ${f.target} (x${f.count}): ${f.message} [${f.mutations.join(', ')}] reproduce: npm run fuzz -- --seed ${f.seed} --input ${f.input}`);
  }
  const bad = res.findings.filter((f) => f.kind !== 'unplaced').length;
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).stack ?? e);
    process.exit(2);
  },
);
