// The HTML report: one self-contained file (inline CSS and SVG, no scripts, nothing fetched),
// with a latency-percentile curve per contender for each scenario and the same table as the
// terminal.
import type { InstructionsOutcome } from '../instructions/run.js';
import type { ScenarioOutcome } from '../runner.js';
import type { Curve } from '../stats.js';
import { microCell } from './format.js';
import type { MicroOutcome, Report } from './report.js';
import {
  COLUMNS,
  describeInstructions,
  describeRun,
  INSTRUCTION_COLUMNS,
  instructionRows,
  rows,
} from './table.js';

const COLORS: Record<string, string> = {
  direct: '#7f7f7f',
  jetway: '#d62728',
  nginx: '#2ca02c',
  haproxy: '#1f77b4',
  'http-proxy': '#ff7f0e',
  'fast-gateway': '#8c564b',
  'fastify-http-proxy': '#e377c2',
};

const W = 800;
const H = 340;
// The right margin holds the legend: room for the longest name, fastify-http-proxy.
const PAD = { left: 64, right: 170, top: 16, bottom: 44 };

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Horizontal position of a percentile: log10(1 / (1 - p)), the usual scale of HDR plots, so
 * 90, 99, 99.9 and 99.99 are evenly spaced. 100 (the maximum) is drawn one step past 99.99.
 */
export function percentileX(p: number): number {
  const capped = Math.min(p, 99.999);
  return Math.log10(1 / (1 - capped / 100));
}

const X_TICKS: Array<[number, string]> = [
  [0, '0%'],
  [90, '90%'],
  [99, '99%'],
  [99.9, '99.9%'],
  [99.99, '99.99%'],
  [100, 'max'],
];

/** Decades of milliseconds that span every value drawn (log scale). */
export function yDecades(curves: readonly Curve[]): [number, number] {
  const values = curves.flatMap((c) => c.map(([, us]) => us / 1000)).filter((v) => v > 0);
  if (values.length === 0) return [-1, 1];
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  return [lo, hi > lo ? hi : lo + 1];
}

/** An SVG chart of the latency curves of one scenario's contenders. */
export function chart(outcome: ScenarioOutcome): string {
  const drawn = outcome.contenders.filter((c) => c.summary && c.summary.curve.length > 0);
  const [lo, hi] = yDecades(drawn.map((c) => c.summary?.curve ?? []));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (p: number): number => PAD.left + (percentileX(p) / percentileX(100)) * plotW;
  const y = (us: number): number => {
    const v = Math.log10(Math.max(us / 1000, 10 ** lo));
    return PAD.top + plotH - ((v - lo) / (hi - lo)) * plotH;
  };

  const grid: string[] = [];
  for (let d = lo; d <= hi; d++) {
    const yy = y(10 ** d * 1000).toFixed(1);
    grid.push(
      `<line class="grid" x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${yy}" y2="${yy}"/>`,
    );
    grid.push(
      `<text class="tick" x="${PAD.left - 6}" y="${yy}" text-anchor="end" dy="4">${10 ** d}</text>`,
    );
  }
  for (const [p, label] of X_TICKS) {
    const xx = x(p).toFixed(1);
    grid.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${PAD.top}" y2="${PAD.top + plotH}"/>`);
    grid.push(
      `<text class="tick" x="${xx}" y="${PAD.top + plotH + 16}" ` +
        `text-anchor="middle">${label}</text>`,
    );
  }

  const lines = drawn.map((c, i) => {
    const color = COLORS[c.name] ?? '#9467bd';
    const points = (c.summary?.curve ?? []).map(
      ([p, us]) => `${x(p).toFixed(1)},${y(us).toFixed(1)}`,
    );
    const ly = PAD.top + 14 + i * 18;
    return (
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>` +
      `<rect x="${W - PAD.right + 12}" y="${ly - 9}" width="12" height="12" fill="${color}"/>` +
      `<text x="${W - PAD.right + 30}" y="${ly + 1}">${escapeHtml(c.name)}</text>`
    );
  });

  const axes =
    `<text class="axis" x="${PAD.left + plotW / 2}" y="${H - 6}" ` +
    `text-anchor="middle">percentile</text>` +
    `<text class="axis" transform="translate(14 ${PAD.top + plotH / 2}) rotate(-90)" ` +
    `text-anchor="middle">latency, ms (log)</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ` +
    `role="img" aria-label="latency by percentile, ${escapeHtml(outcome.name)}">` +
    `${grid.join('')}${axes}${lines.join('')}</svg>`
  );
}

function table(header: readonly string[], body: readonly string[][]): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = body.map((r) =>
    r.length < header.length
      ? `<tr><td>${escapeHtml(r[0])}</td><td colspan="${header.length - 1}" class="skip">` +
        `${escapeHtml(r.slice(1).join(' '))}</td></tr>`
      : `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
  );
  return `<table><thead><tr>${head}</tr></thead><tbody>${tr.join('')}</tbody></table>`;
}

function scenarioSection(o: ScenarioOutcome): string {
  const notes = o.notes.map((n) => `<p class="note">note: ${escapeHtml(n)}</p>`).join('');
  return (
    `<section><h2>${escapeHtml(o.name)}</h2><p>${escapeHtml(o.description)}</p>` +
    `<p class="how">${escapeHtml(describeRun(o.settings, o.generatorLabel))}</p>${notes}` +
    `${table(COLUMNS, rows(o))}${chart(o)}</section>`
  );
}

function instructionsSection(o: InstructionsOutcome): string {
  const head = `<section><h2>${escapeHtml(o.name)}</h2><p>${escapeHtml(o.description)}</p>`;
  if (o.skipped) return `${head}<p class="note">skipped: ${escapeHtml(o.skipped)}</p></section>`;
  const notes = o.notes.map((n) => `<p class="note">note: ${escapeHtml(n)}</p>`).join('');
  return (
    `${head}<p class="how">${escapeHtml(describeInstructions(o).join('; '))}</p>${notes}` +
    `${table(INSTRUCTION_COLUMNS, instructionRows(o))}</section>`
  );
}

/** Rows of a micro result that is an array of flat objects; null when it is anything else. */
export function microRows(result: unknown): { header: string[]; body: string[][] } | null {
  if (!Array.isArray(result) || result.length === 0) return null;
  if (!result.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) return null;
  const header = [...new Set(result.flatMap((r) => Object.keys(r as object)))];
  const body = result.map((r) => header.map((h) => microCell((r as Record<string, unknown>)[h])));
  return { header, body };
}

function microSection(m: MicroOutcome): string {
  const rowsOf = microRows(m.result);
  const inner = rowsOf
    ? table(rowsOf.header, rowsOf.body)
    : `<pre>${escapeHtml(m.message ?? JSON.stringify(m.result, null, 2) ?? '')}</pre>`;
  const notes = (m.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('');
  return `<section><h2>micro</h2><p>${escapeHtml(m.status)}</p>${notes}${inner}</section>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:64em;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:2px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}thead{border-bottom:1px solid #999}
td.skip{text-align:left;color:#777}.how,.note,.meta{color:#555}svg{display:block;margin:1em 0}
.grid{stroke:#ddd}.tick{font-size:11px;fill:#555}.axis{font-size:12px;fill:#333}
svg text{font-size:12px}`;

/** The report as one HTML document. */
export function renderHtml(report: Report): string {
  const m = report.machine;
  const machine = `${m.cpus} × ${m.cores}, ${m.memoryMb} MB, ${m.kernel}, node ${m.node}`;
  const toolList = Object.entries(report.tools).map(([k, v]) => `${k}: ${v}`);
  const skipped = Object.entries(report.skipped).map(
    ([k, v]) => `<li>skipped ${k}: ${escapeHtml(v)}</li>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Jetway bench ${escapeHtml(report.startedAt)}</title>
<style>${STYLE}</style></head><body>
<h1>Jetway bench</h1>
<p class="meta">${escapeHtml(report.startedAt)} · <code>${escapeHtml(report.command)}</code></p>
<p class="meta">${escapeHtml(machine)}</p>
<p class="meta">${escapeHtml(toolList.join(' · '))}</p>
<ul class="meta">${skipped.join('')}</ul>
${report.scenarios.map(scenarioSection).join('\n')}
${(report.instructions ?? []).map(instructionsSection).join('\n')}
${report.micro ? microSection(report.micro) : ''}
</body></html>
`;
}
