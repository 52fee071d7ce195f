// The language-model bench (issue 17, "Speed"): its quick path end to end in Node (the bundled model, nibble on
// Dawn and llama.cpp through node-llama-cpp) gives a report of the right shape; nothing is asserted about time.
// nibble's greedy tokens on the bundled model must equal llama.cpp's (issue 17's correctness tests bound the
// probabilities; a tie within that bound on these 8 tokens would show up here as a named divergence).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { agreement, formatGenMarkdown, formatGenTable, promptIds } from '../../bench/generate.js';
import { generateModels, paddedVocab, runGenerateBench } from '../../bench/generate-node.js';
import { parseGgufFile } from '../../src/io/gguf.js';
import { synthLlamaGguf } from '../../src/lm/synth.js';
import { llamaConfigFromGguf } from '../../src/nn/llama_config.js';

describe('bench generate', () => {
  it('agreement counts equal leading tokens and names the first divergence', () => {
    expect(agreement([1, 2, 3, 4], [1, 2, 3, 4])).toEqual({ n: 4, same: 4, share: 1, firstDivergence: null });
    expect(agreement([1, 9, 3, 8], [1, 2, 3, 4, 5])).toEqual({ n: 4, same: 2, share: 0.5, firstDivergence: 1 });
  });

  it('prompt ids are BOS then seeded byte tokens; models per mode (and by name: --filter S); padded vocabulary size', async () => {
    await expect(runGenerateBench({ quick: true, models: ['nope'] })).rejects.toThrow(/no model of the run matches 'nope' \(models: nibble-tiny \(bundled, Q8_0\)\)/);
    const ids = promptIds(32);
    expect(ids).toEqual(promptIds(32));
    expect(ids[0]).toBe(1);
    expect(ids.slice(1).every((i) => i >= 3 && i <= 258)).toBe(true);
    expect(generateModels({ quick: true }).map((m) => m.name)).toEqual(['nibble-tiny (bundled, Q8_0)']);
    expect(generateModels({}).map((m) => m.name)).toEqual(['nibble-tiny (bundled, Q8_0)', 'llama-134M Q4_0', 'llama-134M Q4_K', 'lfm2-350M-shape Q4_0', 'qwen3moe-128x8-experts-small Q4_0', 'granite-4.0-h-350M-shape Q4_0', 'qwen3.5-0.8B-shape Q4_0 (vocab 32k)', 'gpt-oss-layout-small MXFP4 experts']);
    expect(generateModels({}).at(-4)!.synth!.moe).toEqual({ experts: 128, used: 8, ffn: 192 });
    // the Mamba-2 hybrid's, Qwen3.5's and gpt-oss's files are ones nibble reads (their headers, at a small vocabulary)
    for (const m of generateModels({}).slice(-3)) {
      const f = parseGgufFile(synthLlamaGguf({ ...m.synth!, layers: 2, ...(m.synth!.ssm ? { ssm: { ...m.synth!.ssm, layers: [true, false] } } : {}), ...(m.synth!.deltaNet ? { deltaNet: { ...m.synth!.deltaNet, layers: [true, false] } } : {}), types: {}, weightType: 'F32', vocab: undefined }));
      expect(llamaConfigFromGguf(f.metadata, f.tensors).arch, m.name).toBe(m.synth!.arch);
    }
    expect(generateModels({ large: true, promptTokens: 5, decodeTokens: 3 }).map((m) => [m.name, m.promptTokens, m.decodeTokens]).at(-1)).toEqual(['llama-3.2-1B-shape Q4_0', 5, 3]);
    const v = paddedVocab(300)!['tokenizer.ggml.tokens'];
    expect(v.type === 'array' && v.value.length).toBe(300);
  });

  it('quick run in Node: nibble and llama.cpp rows with every figure, greedy tokens agree', async () => {
    const r = await runGenerateBench({ quick: true });
    expect(r.kind).toBe('generate');
    expect(r.quick).toBe(true);
    expect(r.adapter.runtime).toMatch(/node|dawn/i);
    expect(r.models).toHaveLength(1);
    expect(r.models[0].params).toBeGreaterThan(0);
    const { promptTokens: P, decodeTokens: N } = r.models[0];
    expect(r.rows.map((x) => [x.engine, x.runtime, x.status, x.note])).toEqual([
      ['llama.cpp (node-llama-cpp CPU)', 'node', 'ok', expect.stringMatching(/threads/)],
      ['nibble', 'node', 'ok', expect.stringMatching(/warm/)],
    ]);
    for (const x of r.rows) {
      expect([x.promptTokens, x.decodeTokens, x.ids.length]).toEqual([P, N, N]);
      for (const k of ['promptTokensPerSecond', 'decodeTokensPerSecond', 'timeToFirstTokenMs', 'cpuMsPerToken', 'loadMs'] as const) expect(x[k], k).toBeGreaterThan(0);
      expect(x.agreement, x.engine).toEqual({ n: N, same: N, share: 1, firstDivergence: null });
    }
    const nb = r.rows[1];
    expect(nb.dispatchesPerToken).toBeGreaterThan(10);
    expect(nb.submitsPerToken).toBe(1); // one decode step is one submit
    expect(nb.hostMsPerToken).toBeGreaterThan(0);
    expect(nb.gpuBytes).toBeGreaterThan(r.models[0].fileBytes / 2);
    expect(r.rows[0].gpuBytes).toBeNull();
    expect(r.ratios).toEqual([{ model: r.models[0].name, nibble: 'nibble (node)', peer: 'llama.cpp (node-llama-cpp CPU) (node)', prompt: expect.any(Number), decode: expect.any(Number) }]);
    const table = formatGenTable(r);
    expect(table).toMatch(/decode tok\/s/);
    expect(table).toMatch(new RegExp(`${N}/${N}`));
    expect(formatGenMarkdown(r)).toMatch(/^# nibble bench: language-model generation/);
  });

  it('--llama-gpu adds llama.cpp\'s GPU build as a peer row, measured on a GPU device or refused by name without one', async () => {
    const r = await runGenerateBench({ quick: true, llamaGpu: 'vulkan' });
    const g = r.rows.find((x) => x.engine === 'llama.cpp (node-llama-cpp vulkan)');
    expect(g, r.rows.map((x) => x.engine).join(', ')).toBeDefined();
    if (g!.status === 'ok') {
      expect(g!.note).toMatch(/layers on the GPU/);
      expect(g!.decodeTokensPerSecond).toBeGreaterThan(0);
    } else expect(g!.note).toMatch(/vulkan build found no GPU device/);
    expect(r.rows.map((x) => x.engine)).toEqual(['llama.cpp (node-llama-cpp CPU)', 'llama.cpp (node-llama-cpp vulkan)', 'nibble']);
  });

  it('the CLI refuses an unknown --llama-gpu backend, and --llama-gpu outside the language-model bench', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', 'bench', ...args], { encoding: 'utf8', timeout: 60_000 });
    const a = run(['--filter', 'generate', '--llama-gpu', 'opencl']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--llama-gpu opencl: expected one of vulkan, cuda, metal/);
    const b = run(['--llama-gpu', 'vulkan']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--llama-gpu applies to the language-model bench/);
  });
});
