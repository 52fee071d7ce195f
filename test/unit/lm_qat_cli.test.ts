// `nibble lm qat` from the outside (the built CLI): a short run on a small text writes a GGUF that LanguageModel
// loads with Q4_0 blocks, and prints the contract's JSON keys; bad options are refused before any training, naming
// the option or the layer at fault.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGgufFile } from '../../src/io/gguf.js';

const nibble = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', ...args], { encoding: 'utf8', timeout: 300_000 });
const dir = mkdtempSync(join(tmpdir(), 'nibble-lm-qat-'));
const data = join(dir, 'text.txt');
writeFileSync(data, 'ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n\n'.repeat(20));

describe('nibble lm qat', () => {
  it('trains the bundled model for a few steps and writes the converted GGUF, with the JSON keys', () => {
    const out = join(dir, 'w3.gguf');
    const r = nibble(['lm', 'qat', '--bits', '3', '--steps', '2', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    for (const k of ['f32_start', 'f32_after', 'ptq', 'qat', 'converted', 'recovered', 'ms_per_step_f32', 'ms_per_step_qat']) expect(Number.isFinite(res[k]), k).toBe(true);
    expect(res.grad_accum).toBe(1);
    expect(res.recovered).toBeCloseTo(1 - (res.qat - res.f32_after) / (res.ptq - res.f32_start), 10);
    const f = parseGgufFile(readFileSync(out));
    expect(f.tensors.find((t) => t.name === 'blk.0.attn_q.weight')?.type).toBe('Q4_0');
    expect(f.tensors.find((t) => t.name === 'token_embd.weight')?.type).toBe('F32');
  });

  it('refuses bad options before training, naming what is at fault', () => {
    const bad: [string[], RegExp][] = [
      [['--format', 'q4_0', '--bits', '3'], /--format q4_0 fixes bits and group/],
      [['--format', 'q5_k'], /--format q5_k: must be q4_0 or q8_0/],
      [['--bits', '9'], /--bits 9: must be an integer in 2\.\.8/],
      [['--grad-accum', '0'], /--grad-accum 0: must be an integer >= 1/],
      [['--grad-accum', '1.5'], /--grad-accum 1\.5: must be an integer >= 1/],
      [['--method', 'adaqat'], /--method adaqat .* use ste or lsq/],
      [['--group', '48'], /group size 48 does not divide K=64 of 'blk\.0\.attn_q\.weight'/],
      [['--no-distill', '--temperature', '2'], /--temperature needs distillation/],
      [['--model', join(dir, 'missing.gguf')], /missing\.gguf/],
      [['--data', join(dir, 'missing.txt')], /missing\.txt/],
    ];
    for (const [args, re] of bad) {
      const r = nibble(['lm', 'qat', '--steps', '1', '--data', data, ...args]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  });
});
