// nibble info [--browser] [--json]: the adapter, whether it is a software fallback, features and key limits.
import { parseArgs } from 'node:util';
import type { ContextSummary } from '../../src/gpu/context.js';
import { createNodeContext } from '../node.js';
import { openHeadless } from '../headless.js';
import { UsageError, type Command } from './command.js';

export async function browserSummary(): Promise<ContextSummary> {
  const h = await openHeadless();
  try {
    await h.page.waitForFunction('window.nibbleReady === true');
    return await h.evaluate<ContextSummary>('const ctx = await window.nibble.createBrowserContext(); const s = ctx.summary(); ctx.destroy(); return s;');
  } finally {
    await h.close();
  }
}

export function formatSummary(s: ContextSummary): string {
  const a = s.adapter;
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const f = s.features;
  const lines = [
    `runtime      ${a.runtime}`,
    `adapter      ${[a.vendor, a.architecture, a.device].filter(Boolean).join(' / ') || '(unnamed)'}`,
    `description  ${a.description || '-'}`,
    `kind         ${s.fallback ? 'fallback (software: SwiftShader/CPU) - timings are for correctness, not speed' : 'hardware'}`,
    `features     shader-f16: ${yes(f.shaderF16)}, subgroups: ${yes(f.subgroups)}${f.subgroups ? ` (size ${f.subgroupMinSize}..${f.subgroupMaxSize})` : ''}, timestamp-query: ${yes(f.timestampQuery)}, packed_4x8_integer_dot_product: ${yes(f.packedDot)}`,
    `limits`,
    ...Object.entries(s.limits).map(([k, v]) => `  ${k.padEnd(36)} ${v.toLocaleString('en-US')}`),
  ];
  return lines.join('\n');
}

export const infoCommand: Command = {
  summary: 'print the WebGPU adapter nibble uses (Node/Dawn, or headless Chromium with --browser)',
  help: `options:
  --browser   ask headless Chromium (puppeteer-core, CHROME_PATH or /usr/bin/chromium) instead of Dawn in Node
  --json      machine-readable output
environment: NIBBLE_ADAPTER=auto|hardware|swiftshader, NIBBLE_VK_ICD=<path to a Vulkan ICD json>`,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { browser: { type: 'boolean' }, json: { type: 'boolean' } }, strict: true }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    let s: ContextSummary;
    if (values.browser) s = await browserSummary();
    else {
      const ctx = await createNodeContext();
      s = ctx.summary();
      ctx.destroy();
    }
    console.log(values.json ? JSON.stringify(s, null, 2) : formatSummary(s));
    return 0;
  },
};
