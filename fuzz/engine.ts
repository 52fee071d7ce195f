// The fuzzing loop: input i of seed S is built from inputSeed(S, i) alone (a valid file the fuzzer writes, then
// semantic and byte mutations), run through one target (TARGETS[i % 7]) under the allocation tracker, timed, and
// classified: accepted, refused with a typed error (naming the place or not), or a finding (crash = any other
// exception, hang = over 1 s, alloc = one allocation over the limit, invariant = accepted but broken).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllocationLimit, beginAlloc, endAlloc, installAllocTracker } from './alloc.js';
import { randomGguf, randomMlpGguf, writeGguf, type Written } from './gguf_seed.js';
import { badScale, mutateBytes, mutateGgufDesc, mutateModelMeta, mutateStDesc } from './mutate.js';
import { randomLmGguf } from './lm_seed.js';
import { mutateLmDesc } from './lm_mutate.js';
import { inputSeed, Rng } from './rng.js';
import { RUNNABLE_KERNELS } from '../src/kernels/runner.js';
import { randomCheckpoint, randomModelFile, randomSafetensors, writeSafetensors } from './st_seed.js';
import { InvariantError, namesPlace, runTarget, TARGETS, TYPED, type TargetName } from './targets.js';

/** One allocation above this is refused before it is made, and is a finding. */
export const ALLOC_LIMIT = 64 * 2 ** 20;
export const HANG_MS = 1000;

export interface TargetStats {
  tried: number;
  accepted: number;
  typed: number;
  /** Typed refusals whose message names no key, tensor, offset or header field. */
  typedUnplaced: number;
  crashes: number;
  hangs: number;
  allocs: number;
  invariants: number;
  /** The largest single allocation over the input's size, and the largest input-to-total ratio, with the input. */
  maxAllocRatio: number;
  maxAllocRatioAt: number;
  maxAllocBytes: number;
  maxMs: number;
  inputBytes: number;
}

export interface Finding {
  target: TargetName;
  kind: 'crash' | 'hang' | 'alloc' | 'invariant' | 'unplaced';
  message: string;
  mutations: string[];
  seed: number;
  input: number;
  count: number;
}

export interface RunResult {
  stats: Record<string, TargetStats>;
  findings: Finding[];
  inputs: number;
}

export const emptyStats = (): TargetStats => ({ tried: 0, accepted: 0, typed: 0, typedUnplaced: 0, crashes: 0, hangs: 0, allocs: 0, invariants: 0, maxAllocRatio: 0, maxAllocRatioAt: -1, maxAllocBytes: 0, maxMs: 0, inputBytes: 0 });

/** Builds input `i` of seed `seed`: the target, the bytes, and the mutations applied. */
export function makeInput(seed: number, i: number): { target: TargetName; bytes: Uint8Array; mutations: string[]; r: Rng } {
  const r = new Rng(inputSeed(seed, i));
  const target = TARGETS[i % TARGETS.length];
  const muts: string[] = [];
  let w: Written;
  if (target === 'lm-header') {
    // A tiny language model: mostly metadata-aware mutations, some of the plain GGUF ones; fewer byte mutations
    // (most fields of such a file are token lengths, and a bad one stops the GGUF reader before the vocabulary).
    const d = randomLmGguf(r);
    if (r.chance(0.7)) for (let n = r.range(1, 3); n > 0; n--) muts.push(mutateLmDesc(r, d));
    if (r.chance(0.2)) muts.push(mutateGgufDesc(r, d));
    w = writeGguf(d);
    if (r.chance(0.15)) muts.push(badScale(r, w));
    const nb = muts.length ? (r.chance(0.25) ? 1 : 0) : r.chance(0.15) ? 0 : r.range(1, 2);
    for (let n = 0; n < nb; n++) muts.push(mutateBytes(r, w));
    return { target, bytes: w.bytes, mutations: muts, r };
  } else if (target === 'gguf' || target === 'gguf-lazy' || target === 'gguf-mlp') {
    const d = target === 'gguf-mlp' ? randomMlpGguf(r) : randomGguf(r);
    if (r.chance(0.5)) for (let n = r.range(1, 2); n > 0; n--) muts.push(mutateGgufDesc(r, d));
    w = writeGguf(d);
    if (r.chance(0.25)) muts.push(badScale(r, w));
  } else {
    const names = target === 'cli-in' ? r.pick(RUNNABLE_KERNELS).inputs.map((t) => t.name) : undefined;
    const d = target === 'model' ? randomModelFile(r) : target === 'checkpoint' ? randomCheckpoint(r) : randomSafetensors(r, names);
    if (target === 'model' && r.chance(0.4)) muts.push(mutateModelMeta(r, d));
    if (target === 'checkpoint' && r.chance(0.4)) muts.push(mutateModelMeta(r, d, ['sizes', 'quant', 'step', 'adaqat']));
    if (r.chance(0.5)) for (let n = r.range(1, 2); n > 0; n--) muts.push(mutateStDesc(r, d));
    w = writeSafetensors(d);
  }
  // Most inputs get byte mutations too; a few stay as written (valid ones must be accepted).
  const nb = r.chance(0.1) ? 0 : r.range(muts.length ? 0 : 1, target === 'model' && muts.length ? 1 : 3);
  for (let n = 0; n < nb; n++) muts.push(mutateBytes(r, w));
  return { target, bytes: w.bytes, mutations: muts, r };
}

/** Classification of one run: the outcome, and the message where it is not an acceptance. */
export type Outcome = { kind: 'accepted' | 'typed' | 'unplaced' | 'crash' | 'alloc' | 'invariant'; message?: string; error?: unknown };

export async function runInput(seed: number, i: number, tmpFile = join(tmpdir(), `nibble-fuzz-${process.pid}.safetensors`)) {
  const inp = makeInput(seed, i);
  installAllocTracker();
  const t0 = performance.now();
  let out: Outcome;
  beginAlloc(ALLOC_LIMIT);
  try {
    await runTarget(inp.target, inp.bytes, inp.r, tmpFile);
    out = { kind: 'accepted' };
  } catch (e) {
    const err = e as Error;
    const msg = `${err?.constructor?.name ?? typeof e}: ${String(err?.message ?? e).slice(0, 300)}`;
    if (e instanceof AllocationLimit) out = { kind: 'alloc', message: msg, error: e };
    else if (e instanceof InvariantError) out = { kind: 'invariant', message: msg, error: e };
    else if (TYPED[inp.target].some((C) => e instanceof C)) out = namesPlace(err.message) ? { kind: 'typed' } : { kind: 'unplaced', message: msg, error: e };
    else out = { kind: 'crash', message: msg, error: e };
  }
  const alloc = endAlloc();
  return { ...inp, outcome: out, ms: performance.now() - t0, alloc };
}

/** A finding's signature: target, kind and message with the numbers and quoted names taken out. */
const signature = (f: Pick<Finding, 'target' | 'kind' | 'message'>) => `${f.target}|${f.kind}|${f.message.replace(/'[^']*'|"[^"]*"|\d+/g, '#')}`;

export function addFinding(res: RunResult, f: Omit<Finding, 'count'>): void {
  const s = signature(f);
  const old = res.findings.find((x) => signature(x) === s);
  if (old) old.count++;
  else res.findings.push({ ...f, count: 1 });
}

/**
 * Runs inputs [from, to) of `seed`, or until `deadline` (performance.now() ms); `progress` (if given) gets each index
 * before it runs (the watchdog's heartbeat).
 */
export async function fuzzRange(seed: number, from: number, to: number, deadline = Infinity, progress?: (i: number) => void): Promise<RunResult> {
  const res: RunResult = { stats: Object.fromEntries(TARGETS.map((t) => [t, emptyStats()])), findings: [], inputs: 0 };
  for (let i = from; i < to && performance.now() < deadline; i++) {
    progress?.(i);
    const x = await runInput(seed, i);
    const s = res.stats[x.target];
    res.inputs++;
    s.tried++;
    s.inputBytes += x.bytes.length;
    s.maxMs = Math.max(s.maxMs, x.ms);
    const ratio = x.alloc.largest / Math.max(x.bytes.length, 1);
    if (ratio > s.maxAllocRatio) [s.maxAllocRatio, s.maxAllocRatioAt] = [ratio, i];
    s.maxAllocBytes = Math.max(s.maxAllocBytes, x.alloc.largest);
    const o = x.outcome;
    if (o.kind === 'accepted') s.accepted++;
    else if (o.kind === 'typed') s.typed++;
    else if (o.kind === 'unplaced') s.typedUnplaced++;
    else if (o.kind === 'crash') s.crashes++;
    else if (o.kind === 'alloc') s.allocs++;
    else s.invariants++;
    if (o.message) addFinding(res, { target: x.target, kind: o.kind as Finding['kind'], message: o.message, mutations: x.mutations, seed, input: i });
    if (x.ms > HANG_MS) {
      s.hangs++;
      addFinding(res, { target: x.target, kind: 'hang', message: `took ${x.ms.toFixed(0)} ms`, mutations: x.mutations, seed, input: i });
    }
  }
  return res;
}

/** Adds run b into a (stats summed, maxima kept, findings merged by signature). */
export function mergeResults(a: RunResult, b: RunResult): void {
  a.inputs += b.inputs;
  for (const [t, s] of Object.entries(b.stats)) {
    const x = (a.stats[t] ??= emptyStats());
    for (const k of ['tried', 'accepted', 'typed', 'typedUnplaced', 'crashes', 'hangs', 'allocs', 'invariants', 'inputBytes'] as const) x[k] += s[k];
    if (s.maxAllocRatio > x.maxAllocRatio) [x.maxAllocRatio, x.maxAllocRatioAt] = [s.maxAllocRatio, s.maxAllocRatioAt];
    x.maxAllocBytes = Math.max(x.maxAllocBytes, s.maxAllocBytes);
    x.maxMs = Math.max(x.maxMs, s.maxMs);
  }
  for (const f of b.findings) {
    const s = signature(f);
    const old = a.findings.find((x) => signature(x) === s);
    if (old) old.count += f.count;
    else a.findings.push({ ...f });
  }
}
