// `nibble lm qat` from the outside (the built CLI): a short run on a small text writes a GGUF that LanguageModel
// loads with Q4_0 blocks, and prints the contract's JSON keys; bad options are refused before any training, naming
// the option or the layer at fault.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGgufFile } from '../../src/io/gguf.js';
import { disposeLlamaCpp, llamaCppLogits } from '../../runtime/llamacpp.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { writeHfLlamaDir } from './hf_fixture.js';

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
    expect([res.method, res.lsq_init]).toEqual(['lsq', 'mse']); // the default recipe at 3 bits
    expect(res.recovered).toBeCloseTo(1 - (res.qat - res.f32_after) / (res.ptq - res.f32_start), 10);
    const f = parseGgufFile(readFileSync(out));
    expect(f.tensors.find((t) => t.name === 'blk.0.attn_q.weight')?.type).toBe('Q4_0');
    expect(f.tensors.find((t) => t.name === 'token_embd.weight')?.type).toBe('F32');
  });

  it('writes a checkpoint next to --out and --resume continues from it to the same figures', () => {
    const out = join(dir, 'ck.gguf');
    const args = ['lm', 'qat', '--bits', '4', '--steps', '3', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', out, '--checkpoint-every', '2', '--json'];
    const a = nibble(args);
    expect(a.status, a.stderr).toBe(0);
    const ra = JSON.parse(a.stdout);
    expect([ra.method, ra.lsq_init]).toEqual(['static', undefined]); // the default recipe at 4 bits: its scales are not in the checkpoint, re-derived on resume
    expect(ra.checkpoint).toBe(join(dir, 'ck.checkpoint.safetensors'));
    const b = nibble([...args, '--resume', ra.checkpoint]);
    expect(b.status, b.stderr).toBe(0);
    const rb = JSON.parse(b.stdout);
    for (const k of ['f32_start', 'f32_after', 'ptq', 'qat', 'converted', 'recovered']) expect(rb[k], k).toBe(ra[k]);
    const c = nibble([...args.map((x) => (x === '4' ? '3' : x)), '--resume', ra.checkpoint]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/the checkpoint is of another run \('bits': 4 there, 3 here\)/);
  });

  it("--lsq-init mse starts LSQ's scales at each group's least squared error: a better PTQ start than the rule's", () => {
    const run = (init: string) => {
      const r = nibble(['lm', 'qat', '--bits', '2', '--grid', 'midtread', '--method', 'lsq', '--lsq-init', init, '--steps', '1', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', join(dir, `w2-${init}.gguf`), '--checkpoint-every', '0', '--json']);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const [rule, mse] = [run('rule'), run('mse')];
    expect([rule.lsq_init, mse.lsq_init]).toEqual(['rule', 'mse']);
    expect(mse.f32_start).toBe(rule.f32_start);
    // ptq stays the rule's (the gap's reference); the QAT model's start is reported apart.
    expect(mse.ptq).toBe(rule.ptq);
    expect(rule.ptq_start).toBeUndefined();
    expect(mse.ptq_start).toBeLessThan(rule.ptq - 0.05);
  });

  it('--bits 2 alone: LSQ from the least-squared-error scales on the midrise grid, Q4_0 codes 2q + 1 giving the QAT loss to the f16 bound', () => {
    const out = join(dir, 'midrise.gguf');
    const r = nibble(['lm', 'qat', '--bits', '2', '--steps', '2', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', out, '--checkpoint-every', '0', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect([res.method, res.lsq_init, res.grid, res.quant]).toEqual(['lsq', 'mse', 'midrise', 'W2 g32 midrise']);
    const f = parseGgufFile(readFileSync(out));
    expect(f.tensors.filter((t) => t.type === 'Q4_0').length).toBe(15);
    // Every block's codes are odd offsets 2q + 1 in -3..3 (stored + 8): 5, 7, 9, 11.
    const blk = f.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!;
    const bytes = blk.data.subarray(0, 18 * 4);
    const nibbles = new Set<number>();
    for (let b = 0; b < 4; b++) for (let i = 2; i < 18; i++) [bytes[18 * b + i] & 15, bytes[18 * b + i] >> 4].forEach((v) => nibbles.add(v));
    expect([...nibbles].every((v) => [5, 7, 9, 11].includes(v))).toBe(true);
    expect(Math.abs(res.converted - res.qat)).toBeLessThan(1e-3);
    // ptq is the mid-tread rule's (the gap's reference); the QAT model's start is reported apart, and is better.
    expect(res.ptq_start).toBeLessThan(res.ptq - 0.05);
  });

  it('--asymmetric writes Q4_1 blocks (STE by default, also at 2 bits) that give the QAT loss to the f16 bound', () => {
    const out = join(dir, 'asym.gguf');
    const r = nibble(['lm', 'qat', '--bits', '2', '--asymmetric', '--steps', '2', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', out, '--checkpoint-every', '0', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.method).toBe('ste');
    expect(res.quant).toBe('W2 g32 asymmetric');
    const f = parseGgufFile(readFileSync(out));
    expect(f.tensors.filter((t) => t.type === 'Q4_1').length).toBe(15);
    // d and m rounded to f16 (2^-11 of each): the converted loss within 1e-3 nats/byte of the fake-quant one.
    expect(Math.abs(res.converted - res.qat)).toBeLessThan(1e-3);
    expect(res.ptq).toBeGreaterThan(res.f32_start);
  });

  it('--keep-float and --layer set layers apart: the file holds each at its own rule', () => {
    const out = join(dir, 'rules.gguf');
    const r = nibble(['lm', 'qat', '--bits', '3', '--keep-float', 'blk.0.attn_k.weight', '--layer', 'output.weight=8', '--layer', 'blk.*.ffn_down.weight=q8_0', '--steps', '2', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const f = parseGgufFile(readFileSync(out));
    const type = (n: string) => f.tensors.find((t) => t.name === n)?.type;
    expect([type('blk.0.attn_k.weight'), type('output.weight'), type('blk.1.ffn_down.weight'), type('blk.1.attn_q.weight')]).toEqual(['F32', 'Q8_0', 'Q8_0', 'Q4_0']);
    expect(JSON.parse(r.stdout).quant).toBe('W3 g32 (blk.0.attn_k.weight f32, output.weight=8, blk.*.ffn_down.weight=q8_0)');
  });

  it('--method adaqat learns each layer\'s bits and writes each layer as Q4_0 or Q8_0 by the bits chosen', () => {
    const out = join(dir, 'adaqat.gguf');
    const r = nibble(['lm', 'qat', '--method', 'adaqat', '--bits', '5', '--lambda', '50', '--steps', '5', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    for (const k of ['f32_start', 'f32_after', 'ptq', 'qat', 'converted', 'recovered', 'ms_per_step_f32', 'ms_per_step_qat', 'mean_bits']) expect(Number.isFinite(res[k]), k).toBe(true);
    expect(res.method).toBe('adaqat');
    // One update (every 5 steps) at a large cost: every layer leaves 5 bits; the file holds each at its chosen width.
    const f = parseGgufFile(readFileSync(out));
    for (const [name, bits] of Object.entries(res.bits as Record<string, number>)) {
      expect(bits, name).toBeLessThan(5);
      expect(f.tensors.find((t) => t.name === name)?.type, name).toBe(bits <= 4 ? 'Q4_0' : 'Q8_0');
    }
    expect(res.mean_bits).toBeLessThan(5);
  });

  it('takes a Hugging Face Llama, Qwen2 or Qwen3 directory (config.json, model.safetensors, tokenizer.json): the GGUF carries its tokenizer and llama.cpp runs it', async () => {
    for (const arch of ['llama', 'qwen2', 'qwen3'] as const) {
      const hf = writeHfLlamaDir(join(dir, `hf-${arch}`), 3, 'bpe', arch);
      const out = join(dir, `hf-${arch}-q4_0.gguf`);
      const r = nibble(['lm', 'qat', '--model', hf, '--format', 'q4_0', '--steps', '2', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', out, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout);
      for (const k of ['f32_start', 'ptq', 'qat', 'converted']) expect(Number.isFinite(res[k]), k).toBe(true);
      const f = parseGgufFile(readFileSync(out));
      expect(f.metadata['general.architecture'].value).toBe(arch);
      expect(f.tensors.some((t) => t.name === 'blk.0.attn_q.bias'), arch).toBe(arch === 'qwen2');
      expect(f.tensors.find((t) => t.name === 'blk.0.attn_k_norm.weight')?.type, arch).toBe(arch === 'qwen3' ? 'F32' : undefined);
      expect(f.metadata['tokenizer.ggml.model'].value).toBe('gpt2');
      expect(f.metadata['tokenizer.ggml.pre'].value).toBe('llama-bpe');
      expect(String(f.metadata['general.name'].value)).toMatch(new RegExp(`^tiny-hf-${arch}, QAT Q4_0`));
      const logits = await llamaCppLogits(out, [264, 116, 257]);
      expect(logits.length).toBe(3);
      expect(logits.every((row) => row.length === 266 && row.every(Number.isFinite))).toBe(true);
    }
    await disposeLlamaCpp();
    // A directory without its tokenizer, or with a byte_fallback BPE whose pre-tokenizer is byte-level (neither kind nibble imports), is refused naming the file.
    const bare = writeHfLlamaDir(join(dir, 'hf-bare'), 3);
    rmSync(join(bare, 'tokenizer.json'));
    const b = nibble(['lm', 'qat', '--model', bare, '--steps', '1']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/hf-bare: tokenizer\.json is missing/);
    const spm = writeHfLlamaDir(join(dir, 'hf-spm'), 3);
    const tj = JSON.parse(readFileSync(join(spm, 'tokenizer.json'), 'utf8'));
    tj.model.byte_fallback = true;
    writeFileSync(join(spm, 'tokenizer.json'), JSON.stringify(tj));
    const c = nibble(['lm', 'qat', '--model', spm, '--steps', '1']);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/tokenizer\.json: pre_tokenizer type 'Sequence' is not SentencePiece-style BPE's/);
  });

  it('takes a Llama 2-style directory (a SentencePiece tokenizer.model): the GGUF carries the SPM vocabulary and llama.cpp runs it', async () => {
    const hf = writeHfLlamaDir(join(dir, 'hf-sp'), 4, 'spm');
    const out = join(dir, 'hf-sp-q4_0.gguf');
    const r = nibble(['lm', 'qat', '--model', hf, '--format', 'q4_0', '--steps', '2', '--batch', '2', '--seq', '32', '--val-windows', '2', '--data', data, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const f = parseGgufFile(readFileSync(out));
    expect(f.metadata['tokenizer.ggml.model'].value).toBe('llama');
    const tok = Tokenizer.fromGguf(f.metadata);
    expect([tok.vocabSize, tok.bos, tok.addBos]).toEqual([1000, 1, true]);
    expect(tok.encode('Hello world')).toEqual([1, 423, 278, 947, 431, 319]); // SentencePiece's ids (golden.json), bos first
    const logits = await llamaCppLogits(out, tok.encode('Hello world'));
    expect(logits.length).toBe(6);
    expect(logits.every((row) => row.length === 1000 && row.every(Number.isFinite))).toBe(true);
    await disposeLlamaCpp();
  });

  it('refuses bad options before training, naming what is at fault', () => {
    const bad: [string[], RegExp][] = [
      [['--format', 'q4_0', '--bits', '3'], /--format q4_0 fixes bits and group/],
      [['--format', 'q5_k'], /--format q5_k: must be q4_0 or q8_0/],
      [['--bits', '9'], /--bits 9: must be an integer in 2\.\.8/],
      [['--grad-accum', '0'], /--grad-accum 0: must be an integer >= 1/],
      [['--grad-accum', '1.5'], /--grad-accum 1\.5: must be an integer >= 1/],
      [['--method', 'pact'], /--method pact: must be ste, lsq, static or adaqat/],
      [['--layer', 'output.weight'], /--layer output\.weight: expected PATTERN=SPEC/],
      [['--layer', 'output.weight=4:pact'], /SPEC '4:pact' is not bits/],
      [['--layer', 'output.weight=9'], /layer rule 'output\.weight' on 'output\.weight': bits=9 is not an integer in 2\.\.8/],
      [['--layer', 'blk.*.mlp.weight=8'], /layer rule 'blk\.\*\.mlp\.weight' matches no quantized Linear layer/],
      [['--keep-float', 'head.weight'], /keepFloat pattern 'head\.weight' matches no Linear layer/],
      [['--resume', join(dir, 'missing.ckpt')], /--resume .*missing\.ckpt/],
      [['--checkpoint-every=-2'], /--checkpoint-every -2: must be an integer >= 0/],
      [['--method', 'adaqat', '--format', 'q4_0'], /--format q4_0 fixes the bit-width; --method adaqat chooses it/],
      [['--lambda', '1'], /--lambda is the cost weight of --method adaqat/],
      [['--method', 'lsq', '--lsq-init', 'minmax'], /--lsq-init minmax: must be rule or mse/],
      [['--bits', '4', '--method', 'ste', '--lsq-init', 'mse'], /--lsq-init sets where LSQ's \(or static's\) scales start: it needs --method lsq or static/],
      [['--method', 'adaqat', '--lambda=-1'], /--lambda -1: must be a number >= 0/],
      [['--group', '48'], /group size 48 does not divide K=64 of 'blk\.0\.attn_q\.weight'/],
      [['--no-distill', '--temperature', '2'], /--temperature needs distillation/],
      [['--teacher', 'bigger'], /--teacher bigger: must be baseline or start/],
      [['--asymmetric', '--format', 'q4_0'], /--asymmetric takes --bits \(2\.\.4\); --format q4_0 is ggml's symmetric rule/],
      [['--grid', 'odd'], /--grid odd: must be midtread or midrise/],
      [['--grid', 'midrise', '--bits', '4'], /midrise at bits=4: it is written as GGUF Q4_0 blocks with codes 2q \+ 1/],
      [['--grid', 'midrise'], /midrise at bits=4/],
      [['--grid', 'midrise', '--format', 'q4_0'], /format Q4_0 is ggml's own grid; the midrise grid takes bits \(2\.\.3\)/],
      [['--grid', 'midrise', '--bits', '2', '--asymmetric'], /the midrise grid is symmetric/],
      [['--grid', 'midrise', '--bits', '2', '--method', 'adaqat'], /adaqat: 'blk\.0\.attn_q\.weight' is on the midrise grid/],
      [['--asymmetric', '--bits', '6'], /asymmetric weights at bits=6: they are written as GGUF Q4_1 blocks/],
      [['--asymmetric', '--bits', '2', '--method', 'lsq'], /asymmetric weights use the dynamic rule with STE/],
      [['--asymmetric', '--bits', '4', '--method', 'adaqat'], /adaqat: 'blk\.0\.attn_q\.weight' is asymmetric; AdaQAT learns widths of the symmetric rule/],
      [['--no-distill', '--teacher', 'start'], /--teacher needs distillation/],
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
