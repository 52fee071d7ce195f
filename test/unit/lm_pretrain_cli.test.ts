// `nibble lm pretrain` from the outside (the built CLI): a tiny recipe end to end (JSON result, a GGUF that
// LanguageModel loads with the recipe's shape and the trained loss), and bad input refused before any work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGgufFile } from '../../src/io/gguf.js';
import { llamaWeightsFromGguf } from '../../src/nn/llama_weights.js';
import { LLAMA_ARCHS } from '../../src/nn/llama_config.js';

const nibble = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'nibble-lm-pretrain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tiny = {
  model: { arch: 'llama', dim: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 16, ctx: 16 },
  batch: 2, seq: 16, steps: 3, lr: 0.003, warmupSteps: 1, minLr: 0.0003, weightDecay: 0.1, clipNorm: 1, seed: 3, valWindows: 2, evalEvery: 0,
};

describe('nibble lm pretrain', () => {
  it('trains a tiny recipe and writes a GGUF of its shape', () => {
    const config = join(dir, 'tiny.json');
    const data = join(dir, 'text.txt');
    writeFileSync(config, JSON.stringify(tiny));
    writeFileSync(data, 'ROMEO:\nBut, soft! what light through yonder window breaks?\n'.repeat(8));
    const out = join(dir, 'tiny.gguf');
    const r = nibble(['lm', 'pretrain', '--config', config, '--data', data, '--steps', '2', '--seed', '5', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.steps).toBe(2);
    expect(Number.isFinite(res.valLoss) && res.valLoss > 0).toBe(true);
    expect(res.bytes).toBe(readFileSync(out).length);
    const { config: c } = llamaWeightsFromGguf(parseGgufFile(readFileSync(out)));
    expect([c.dim, c.layers, c.heads, c.kvHeads, c.ffn, c.ctx, c.vocab]).toEqual([16, 1, 2, 1, 16, 16, 260]);
  });

  it('trains a mixture-of-experts recipe (qwen3moe: 4 experts, 2 a token) and writes each expert stack as one tensor', () => {
    const config = join(dir, 'moe.json');
    const data = join(dir, 'moe.txt');
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'qwen3moe', moe: { experts: 4, used: 2, ffn: 8 } } }));
    writeFileSync(data, 'ROMEO:\nBut, soft! what light through yonder window breaks?\n'.repeat(8));
    const out = join(dir, 'moe.gguf');
    const r = nibble(['lm', 'pretrain', '--config', config, '--data', data, '--steps', '2', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(Number.isFinite(JSON.parse(r.stdout).valLoss)).toBe(true);
    const file = parseGgufFile(readFileSync(out));
    expect(llamaWeightsFromGguf(file).config.moe).toEqual({ experts: 4, used: 2, ffn: 8, norm: true });
    expect(file.tensors.find((t) => t.name === 'blk.0.ffn_up_exps.weight')?.shape).toEqual([4, 8, 16]);
  });

  it('resumes exactly from the checkpoint written at an evaluation; a checkpoint of another recipe is refused', () => {
    const config = join(dir, 'resume.json');
    const data = join(dir, 'resume.txt');
    writeFileSync(config, JSON.stringify({ ...tiny, steps: 4, evalEvery: 2 }));
    writeFileSync(data, 'ROMEO:\nBut, soft! what light through yonder window breaks?\n'.repeat(8));
    const whole = join(dir, 'whole.gguf');
    expect(nibble(['lm', 'pretrain', '--config', config, '--data', data, '--out', whole, '--json']).status).toBe(0);
    const ckpt = join(dir, 'whole.checkpoint.safetensors');
    const part = join(dir, 'part.gguf');
    const r = nibble(['lm', 'pretrain', '--config', config, '--data', data, '--out', part, '--resume', ckpt, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).evals.map((e: { step: number }) => e.step)).toEqual([4]); // it ran steps 3-4 only
    expect(Buffer.compare(readFileSync(part), readFileSync(whole))).toBe(0); // the same weights, bit for bit
    const bad = nibble(['lm', 'pretrain', '--config', config, '--data', data, '--out', part, '--resume', ckpt, '--seed', '9']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/the checkpoint is of another recipe \('seed': 3 there, 9 here\)/);
    const junk = nibble(['lm', 'pretrain', '--config', config, '--data', data, '--out', part, '--resume', data]);
    expect(junk.status).toBe(2);
    expect(junk.stderr).toMatch(/lm pretrain: /);
  });

  it('accumulates gradients over --grad-accum micro-batches, resumes exactly, and refuses a checkpoint of another gradAccum', () => {
    const config = join(dir, 'accum.json');
    const data = join(dir, 'accum.txt');
    writeFileSync(config, JSON.stringify({ ...tiny, steps: 4, evalEvery: 2 }));
    writeFileSync(data, 'ROMEO:\nBut, soft! what light through yonder window breaks?\n'.repeat(8));
    const whole = join(dir, 'accum-whole.gguf');
    const r = nibble(['lm', 'pretrain', '--config', config, '--data', data, '--out', whole, '--grad-accum', '2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).gradAccum).toBe(2);
    const ckpt = join(dir, 'accum-whole.checkpoint.safetensors');
    const part = join(dir, 'accum-part.gguf');
    const p = nibble(['lm', 'pretrain', '--config', config, '--data', data, '--out', part, '--grad-accum', '2', '--resume', ckpt, '--json']);
    expect(p.status, p.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(part), readFileSync(whole))).toBe(0);
    const other = nibble(['lm', 'pretrain', '--config', config, '--data', data, '--out', part, '--resume', ckpt]);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/the checkpoint is of another recipe \('gradAccum': 2 there/);
  });

  it('refuses a bad recipe, naming the field, and an unknown subcommand', () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ ...tiny, seq: 32 }));
    const r = nibble(['lm', 'pretrain', '--config', config]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'seq' 32 exceeds 'model.ctx' 16/);
    const u = nibble(['lm', 'finetune']);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown subcommand 'finetune' \(known: pretrain, qat, job\)/);
    expect(nibble(['lm', 'pretrain', '--steps', '0']).stderr).toMatch(/--steps 0: must be an integer >= 1/);
    expect(nibble(['lm', 'pretrain', '--grad-accum', '0']).stderr).toMatch(/--grad-accum 0: must be an integer >= 1/);
    writeFileSync(config, JSON.stringify({ ...tiny, gradAccum: 1.5 }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'gradAccum' must be an integer >= 1, found 1\.5/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'mamba' } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(new RegExp(`'model\\.arch' must be one of ${LLAMA_ARCHS.join(', ')}, found "mamba"`));
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'granitehybrid' } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'model\.arch' granitehybrid runs for inference only \(its Mamba-2 layers/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'falcon-h1' } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'model\.arch' falcon-h1 runs for inference only \(its Mamba-2 layers/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'nemotron_h' } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'model\.arch' nemotron_h runs for inference only \(its Mamba-2 layers/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'mamba2' } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'model\.arch' mamba2 runs for inference only \(its Mamba-2 layers/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'qwen35' } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'model\.arch' qwen35 runs for inference only \(its Gated DeltaNet layers/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'gemma3', slidingWindow: tiny.seq - 1 } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(new RegExp(`'seq' ${tiny.seq} exceeds 'model\\.slidingWindow' ${tiny.seq - 1}`));
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, slidingWindow: 8 } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'model\.slidingWindow' is the Gemmas', cohere2's and gpt-oss's \(model\.arch is "llama"\)/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'qwen3moe', moe: { experts: 4, used: 5, ffn: 8 } } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'model\.moe' has 5 of 4 experts a token/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'ernie4_5-moe', moe: { experts: 4, used: 2, ffn: 8, selectionBias: 1 } } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/'model\.moe\.selectionBias' must be true \(or absent: no selection bias\), found 1/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'qwen3moe', moe: { experts: 4, used: 2, ffn: 8, denseLead: 1 } } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/dense leading layers are lfm2moe's, ernie4_5-moe's, glm4moe's, dots1's and deepseek's \(arch qwen3moe\)/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'qwen3moe' } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/a qwen3moe model needs moe \(its experts\)/);
    writeFileSync(config, JSON.stringify({ ...tiny, model: { ...tiny.model, arch: 'qwen3', headDim: 7 } }));
    expect(nibble(['lm', 'pretrain', '--config', config]).stderr).toMatch(/the head dim 7 must be an even positive integer/);
  });
});
