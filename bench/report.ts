// Reports of a bench run: a terminal table, a markdown table and an SVG chart of ratios against peers per shape.
// Pure functions of the report data (no I/O), so the page and the CLI share them.
import type { BenchReport, RowResult } from './harness.js';

export interface Ratio {
  group: string;
  row: string;
  peer: string;
  /** peer median / row median: above 1, the nibble row is faster. */
  speedup: number;
  /** True when the nibble median used is its wall time to queue completion, the way the peer is timed. */
  wall: boolean;
}

/**
 * For every group holding both sides, each nibble row against each peer row (both checked and timed). Peers are timed
 * to queue completion, so a nibble row's own queue-completion median is used where it has one (wallToo).
 */
export function ratios(r: BenchReport): Ratio[] {
  const out: Ratio[] = [];
  const groups = [...new Set(r.rows.map((x) => x.group))];
  for (const g of groups) {
    const rows = r.rows.filter((x) => x.group === g && x.status === 'ok' && x.medianMs);
    for (const p of rows.filter((x) => x.side === 'peer')) {
      for (const n of rows.filter((x) => x.side === 'nibble')) {
        const wall = n.wallMedianMs !== null && n.wallMedianMs !== undefined;
        out.push({ group: g, row: n.name, peer: p.name, speedup: p.medianMs! / (wall ? n.wallMedianMs! : n.medianMs!), wall });
      }
    }
  }
  return out;
}

export interface Relative {
  group: string;
  row: string;
  baseline: string;
  /** row median / baseline median: the row's time as a multiple of its baseline's (e.g. QAT step / f32 step). */
  times: number;
}

/** Rows with a baseline (BenchRow.baseline) in their group, both checked and timed: time ratios within nibble. */
export function relatives(r: BenchReport): Relative[] {
  const out: Relative[] = [];
  for (const x of r.rows) {
    if (!x.baseline || x.status !== 'ok' || !x.medianMs) continue;
    const b = r.rows.find((y) => y.group === x.group && y.name === x.baseline && y.status === 'ok' && y.medianMs);
    if (b) out.push({ group: x.group, row: x.name, baseline: b.name, times: x.medianMs / b.medianMs! });
  }
  return out;
}

/** The rows other nibble rows are measured against in their group: nibble's own f32 matmuls (issue 4's "vs f32"). */
export const F32_BASELINE_PREFIX = 'nibble matmul_f32 ';

/** Each nibble row (not itself an f32 baseline) against each f32 matmul row of its group: f32 median / row median (both as their rows are timed). */
export function baselineRatios(r: BenchReport): Ratio[] {
  const out: Ratio[] = [];
  const groups = [...new Set(r.rows.map((x) => x.group))];
  for (const g of groups) {
    const rows = r.rows.filter((x) => x.group === g && x.side === 'nibble' && x.status === 'ok' && x.medianMs);
    const bases = rows.filter((x) => x.name.startsWith(F32_BASELINE_PREFIX));
    for (const n of rows.filter((x) => !x.name.startsWith(F32_BASELINE_PREFIX))) {
      for (const b of bases) out.push({ group: g, row: n.name, peer: b.name, speedup: b.medianMs! / n.medianMs!, wall: false });
    }
  }
  return out;
}

export function adapterLine(r: BenchReport): string {
  const a = r.adapter;
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' / ') || '(unnamed adapter)';
  return `${name}${a.description ? ` (${a.description})` : ''}, ${a.runtime}, ${a.fallback ? 'fallback (software)' : 'hardware'}`;
}

export function headingLines(r: BenchReport): string[] {
  const c = r.ceilings;
  const lines = [
    `adapter   ${adapterLine(r)}`,
    `timing    ${r.timing}${r.adapter.timestampQuery ? '' : ' (no timestamp-query on this adapter: wall time from submit to queue completion)'}; ${r.quick ? '--quick' : 'full'} run, ${r.date}`,
    `ceilings  copy ${fmt(c.copyGBps, 2)} GB/s, read kernel ${fmt(c.readGBps, 2)} GB/s, f32 fma kernel ${fmt(c.fmaGFlops, 2)} GFLOP/s (measured in this run)`,
  ];
  if (r.adapter.fallback) lines.push('note      software adapter (SwiftShader/CPU): a correctness vehicle; its times say nothing about a GPU');
  return lines;
}

function fmt(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  return v.toFixed(digits);
}
const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);

function speedupOf(r: BenchReport, row: RowResult): string {
  if (row.side !== 'nibble') return '';
  return [
    ...[...ratios(r), ...baselineRatios(r)]
      .filter((x) => x.group === row.group && x.row === row.name)
      .map((x) => `${x.speedup.toFixed(2)}x vs ${x.peer.startsWith(F32_BASELINE_PREFIX) ? x.peer.slice('nibble '.length) : x.peer}${x.wall ? ' (wall)' : ''}`),
    ...relatives(r)
      .filter((x) => x.group === row.group && x.row === row.name)
      .map((x) => `${x.times.toFixed(2)}x the time of ${x.baseline}`),
  ].join(', ');
}

function statusText(row: RowResult): string {
  if (row.status === 'ok') return row.method;
  if (row.status === 'check-failed') return `OUTPUT DISAGREES WITH REFERENCE: ${row.check}`;
  if (row.status === 'skipped') return `skipped: ${row.check}`;
  if (row.status === 'device-lost') return `DEVICE LOST: ${row.check}`;
  return `error: ${row.check}`;
}

const HEAD = ['group', 'row', 'shape', 'median ms', 'min', 'max', 'GFLOP/s', 'GB/s', '% copy', '% read', '% f32 peak', 'vs peer', 'method / status'];

function cells(r: BenchReport, row: RowResult): string[] {
  return [
    row.group,
    row.name,
    row.shape,
    fmt(row.medianMs, 3),
    fmt(row.minMs, 3),
    fmt(row.maxMs, 3),
    fmt(row.gflops, 2),
    fmt(row.gbps, 2),
    pct(row.fracCopy),
    pct(row.fracRead),
    pct(row.fracPeak),
    speedupOf(r, row),
    statusText(row) + (row.notes.length ? ` [${row.notes.join('; ')}]` : ''),
  ];
}

/** The terminal table: fixed-width columns, heading first. */
export function formatTable(r: BenchReport): string {
  const body = r.rows.map((row) => cells(r, row));
  const w = HEAD.map((h, i) => Math.max(h.length, ...body.map((c) => (i === HEAD.length - 1 ? 0 : c[i].length))));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : i >= 3 && i <= 10 ? x.padStart(w[i]) : x.padEnd(w[i]))).join('  ');
  return [...headingLines(r), '', line(HEAD), w.map((n, i) => '-'.repeat(i === w.length - 1 ? 15 : n)).join('  '), ...body.map(line)].join('\n');
}

export function formatMarkdown(r: BenchReport): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `# nibble bench`,
    '',
    ...headingLines(r).map((l) => `- ${esc(l)}`),
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, i) => (i >= 3 && i <= 10 ? ' ---: ' : ' --- ')).join('|')}|`,
    ...r.rows.map((row) => `| ${cells(r, row).map(esc).join(' | ')} |`),
  ];
  const rs = ratios(r);
  if (rs.length) {
    lines.push(
      '',
      '## Ratios against peers (peer median / nibble median; above 1 means nibble is faster)',
      '',
      'Peers are timed to queue completion; "wall" marks a nibble median taken the same way.',
      '',
      '| shape | nibble row | peer | speedup | nibble time |',
      '| --- | --- | --- | ---: | --- |',
    );
    for (const x of rs) lines.push(`| ${esc(x.group)} | ${esc(x.row)} | ${esc(x.peer)} | ${x.speedup.toFixed(2)}x | ${x.wall ? 'wall (queue completion)' : 'as its row'} |`);
  }
  const bs = baselineRatios(r);
  if (bs.length) {
    lines.push('', "## Ratios against nibble's f32 matmul (f32 median / row median; above 1 means the row is faster)", '', '| shape | nibble row | f32 row | speedup |', '| --- | --- | --- | ---: |');
    for (const x of bs) lines.push(`| ${esc(x.group)} | ${esc(x.row)} | ${esc(x.peer)} | ${x.speedup.toFixed(2)}x |`);
  }
  const rel = relatives(r);
  if (rel.length) {
    lines.push('', '## Time relative to a nibble baseline (row median / baseline median)', '', '| group | row | baseline | time ratio |', '| --- | --- | --- | ---: |');
    for (const x of rel) lines.push(`| ${esc(x.group)} | ${esc(x.row)} | ${esc(x.baseline)} | ${x.times.toFixed(2)}x |`);
  }
  const bad = r.rows.filter((x) => x.status === 'check-failed');
  if (bad.length) lines.push('', '## Outputs that disagree with the reference', '', ...bad.map((x) => `- ${esc(x.name)} (${esc(x.group)}): ${esc(x.check)}`));
  return lines.join('\n') + '\n';
}

const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An SVG bar chart: per shape (group), one bar per nibble row giving its speedup over each peer; a line marks 1x. */
export function formatSvg(r: BenchReport): string {
  const rs = ratios(r);
  // Labels sit left of the bars; about 6.6 px a character at 12 px sans-serif.
  const label = (x: Ratio) => `${x.row} vs ${x.peer}${x.wall ? " (wall)" : ""}`;
  const left = Math.round(16 + 6.6 * Math.max(30, ...rs.map((x) => label(x).length)));
  const width = left + 380;
  const barH = 18;
  const gap = 6;
  const top = 52;
  const groups = [...new Set(rs.map((x) => x.group))];
  const maxV = Math.max(2, ...rs.map((x) => x.speedup)) * 1.1;
  const scale = (v: number) => ((width - left - 60) * v) / maxV;
  const parts: string[] = [];
  let y = top;
  for (const g of groups) {
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${xmlEsc(g)}</text>`);
    y += barH + gap;
    for (const x of rs.filter((q) => q.group === g)) {
      const w = Math.max(1, scale(x.speedup));
      const color = x.speedup >= 1 ? '#2b7a3d' : '#b03a2e';
      parts.push(`<text x="${left - 6}" y="${y + 13}" text-anchor="end">${xmlEsc(label(x))}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`);
      parts.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + 13}">${x.speedup.toFixed(2)}x</text>`);
      y += barH + gap;
    }
    y += gap;
  }
  if (!groups.length) {
    parts.push(`<text x="8" y="${y + 12}">no group in this run had both a nibble row and a peer row that passed their checks</text>`);
    y += barH + gap;
  }
  const height = y + 16;
  const one = left + scale(1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">nibble vs peers: speedup (peer time / nibble time), same run, same adapter</text>`,
    `<text x="8" y="36">${xmlEsc(adapterLine(r))}${r.adapter.fallback ? ' - software adapter: correctness vehicle, not speed' : ''}</text>`,
    ...parts,
    `<line x1="${one.toFixed(1)}" y1="${top - 4}" x2="${one.toFixed(1)}" y2="${height - 12}" stroke="#444" stroke-dasharray="4 3"/>`,
    `<text x="${one.toFixed(1)}" y="${height - 2}" text-anchor="middle">1x</text>`,
    `</svg>`,
  ].join('\n');
}
