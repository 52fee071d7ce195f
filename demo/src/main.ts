// The demo page: wiring only. Everything it shows comes from the library (src/) and the browser runtime.
import { WebGpuUnavailableError } from '../../runtime/browser.js';
import { describeVariants } from '../../src/kernels/tuning.js';
import type { GpuContext } from '../../src/gpu/context.js';

import { $, app, newContext } from './app.js';
import { setupBench } from './bench.js';
import { setupGenerate } from './generate.js';
import { setupGguf } from './gguf.js';
import { setupRun } from './run.js';
import { setupTrain } from './train.js';

function fillTable(table: HTMLTableElement, rows: [string, string][], head?: [string, string]) {
  table.innerHTML = '';
  if (head) table.insertAdjacentHTML('beforeend', `<tr><th>${head[0]}</th><th>${head[1]}</th></tr>`);
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
}

function showCaps(ctx: GpuContext) {
  const s = ctx.summary();
  const a = s.adapter;
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  $('caps-fallback').hidden = !s.fallback;
  fillTable($('caps-table'), [
    ['adapter', [a.vendor, a.architecture, a.device].filter(Boolean).join(' / ') || '(unnamed)'],
    ['description', a.description || '-'],
    ['kind', s.fallback ? 'software fallback' : 'hardware'],
    ['shader-f16', yes(s.features.shaderF16)],
    ['subgroups', s.features.subgroups ? `yes (size ${s.features.subgroupMinSize}..${s.features.subgroupMaxSize})` : 'no'],
    ['timestamp-query', yes(s.features.timestampQuery)],
    ['packed_4x8_integer_dot_product', yes(s.features.packedDot)],
    ...Object.entries(s.limits).map(([k, v]) => [k, v.toLocaleString('en-US')] as [string, string]),
  ]);
  fillTable($('variants-table'), describeVariants(ctx).map((v) => [v.kernel, v.variant]), ['kernel', 'variant on this adapter']);
}

function setupTabs() {
  const buttons = document.querySelectorAll<HTMLButtonElement>('#tabs button');
  buttons.forEach((b) =>
    b.addEventListener('click', () => {
      buttons.forEach((x) => x.classList.toggle('active', x === b));
      document.querySelectorAll<HTMLElement>('.tab').forEach((t) => (t.hidden = t.id !== `tab-${b.dataset.tab}`));
    }),
  );
}

async function start() {
  setupTabs();
  let ctx: GpuContext;
  try {
    ctx = await newContext();
  } catch (e) {
    $('no-webgpu').hidden = false;
    $('no-webgpu-reason').textContent = e instanceof WebGpuUnavailableError ? e.message : `WebGPU failed to start: ${(e as Error).message}`;
    document.querySelectorAll<HTMLElement>('.tab').forEach((t) => (t.hidden = true));
    $('tabs').hidden = true;
    $('status').textContent = 'no WebGPU';
    (window as unknown as { demoReady: string }).demoReady = 'no-webgpu';
    return;
  }
  showCaps(ctx);
  setupGenerate();
  setupTrain();
  setupBench();
  setupGguf();
  await setupRun();
  // For tests and debugging: lose the device on purpose, now or at a training step (the Train tab then offers a restart).
  (window as unknown as { nibbleDemo: unknown }).nibbleDemo = {
    loseDevice: () => app.ctx.device.destroy(),
    loseDeviceAtStep: (step: number) => (app.loseAtStep = step),
    fallback: ctx.info.isFallback,
  };
  $('status').textContent = `ready on ${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isFallback ? ' (software fallback)' : ''}`;
  (window as unknown as { demoReady: string }).demoReady = 'ready';
}

void start();
