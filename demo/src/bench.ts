// Bench tab: the quick suite of `nibble bench` on this page's context, with the CLI's table and SVG chart.
import { adapterLine, formatSvg, formatTable } from '../../bench/report.js';
import { runSuite } from '../../bench/suite.js';
import { $, app, hideError, showError } from './app.js';

let running = false;

export function setupBench(): void {
  const a = app.ctx.info;
  $('bench-adapter').textContent = `adapter: ${[a.vendor, a.architecture, a.device].filter(Boolean).join(' / ') || '(unnamed)'}${a.description ? ` (${a.description})` : ''}`;
  $('bench-fallback').hidden = !a.isFallback;
  $('bench-go').addEventListener('click', async () => {
    if (running) return;
    running = true;
    const go = $<HTMLButtonElement>('bench-go');
    go.disabled = true;
    hideError($('bench-error'));
    const lines: string[] = [];
    try {
      const filter = $<HTMLInputElement>('bench-filter').value.split(',').map((s) => s.trim()).filter(Boolean);
      const r = await runSuite(app.ctx, { quick: true, noPeers: !$<HTMLInputElement>('bench-peers').checked, filter: filter.length ? filter : undefined }, (l) => {
        lines.push(l);
        $('bench-progress').textContent = l;
      });
      $('bench-table').textContent = formatTable(r);
      $('bench-chart').innerHTML = formatSvg(r);
      $('bench-progress').textContent = `done: ${r.rows.length} rows on ${adapterLine(r)}`;
      $('bench-table').dataset.rows = String(r.rows.length);
    } catch (e) {
      showError($('bench-error'), e);
    } finally {
      running = false;
      go.disabled = false;
    }
  });
}
