/**
 * Everything shown from a results JSON: the terminal table, the Markdown of docs/benchmarks.md,
 * the SVG chart (plain SVG text), and the check of the issue's targets.
 */
import { formatSize } from './lib/profile.js';
import type { Results, RowJson, TargetJson } from './lib/results.js';
import type { StoreId } from './stores/types.js';

export const COLUMN_ORDER: StoreId[] = ['lsfs', 'raw', 'sqlite', 'lmdb', 'level'];
const PEERS: StoreId[] = ['sqlite', 'lmdb', 'level'];
const LABELS: Record<StoreId, string> = { lsfs: 'LSFS', raw: 'raw fs', sqlite: 'SQLite', lmdb: 'LMDB', level: 'LevelDB' };
const COLORS: Record<StoreId, string> = { lsfs: '#000000', raw: '#8c8c8c', sqlite: '#1f77b4', lmdb: '#2ca02c', level: '#d62728' };

export function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === '× payload') return value.toFixed(3);
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value.toFixed(1);
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '';
  return `×${ratio >= 10 ? ratio.toFixed(1) : ratio >= 0.1 ? ratio.toFixed(2) : ratio.toFixed(3)}`;
}

function columns(results: Results): StoreId[] {
  return COLUMN_ORDER.filter((id) => results.rows.some((row) => row.results[id] !== undefined));
}

function cell(row: RowJson, id: StoreId): string {
  const result = row.results[id];
  if (result === undefined) return '';
  if (result.error !== undefined) return 'error';
  const value = formatNumber(result.value, row.unit);
  return id === 'lsfs' || result.ratio === undefined ? value : `${value} (${formatRatio(result.ratio)})`;
}

export function terminalTable(results: Results): string {
  const ids = columns(results);
  const header = ['#', 'workload', 'unit', ...ids.map((id) => LABELS[id])];
  const lines = results.rows.map((row) => [row.id, row.title, `${row.unit} (${row.better === 'higher' ? '↑' : '↓'})`, ...ids.map((id) => cell(row, id))]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (line: string[]): string => line.map((text, i) => (i >= 3 ? text.padStart(widths[i]!) : text.padEnd(widths[i]!))).join('  ');
  return [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(format)].join('\n');
}

export function markdownTable(results: Results): string {
  const ids = columns(results);
  const header = `| # | workload | unit | ${ids.map((id) => LABELS[id]).join(' | ')} |`;
  const rule = `|---|---|---|${ids.map(() => '---:').join('|')}|`;
  const lines = results.rows.map((row) => `| ${row.id} | ${row.title} | ${row.unit} (${row.better === 'higher' ? 'higher' : 'lower'} is better) | ${ids.map((id) => cell(row, id)).join(' | ')} |`);
  return [header, rule, ...lines].join('\n');
}

function rowById(results: Results, id: string): RowJson | undefined {
  return results.rows.find((row) => row.id === id);
}

/** The issue's targets, checked against one run. */
export function checkTargets(results: Results): TargetJson[] {
  const out: TargetJson[] = [];
  const ahead = (rowId: string, label: string, withRaw: boolean): void => {
    const row = rowById(results, rowId);
    const lsfs = row?.results.lsfs;
    if (row === undefined || lsfs === undefined) return;
    const present = PEERS.filter((id) => row.results[id]?.ratio !== undefined);
    const behind = present.filter((id) => row.results[id]!.ratio! >= 1);
    out.push({
      id: `${rowId}-ahead`,
      text: `${label}: LSFS ahead of every peer`,
      met: present.length > 0 && behind.length === 0,
      measured: present.map((id) => `${LABELS[id]} ${formatRatio(row.results[id]!.ratio)}`).join(', '),
    });
    const raw = row.results.raw?.ratio;
    if (withRaw && raw !== undefined) {
      const fraction = 1 / raw;
      out.push({ id: `${rowId}-raw`, text: `${label}: LSFS within 0.8× of raw fs`, met: fraction >= 0.8, measured: `LSFS = ${fraction.toFixed(2)}× raw fs` });
    }
  };
  ahead('w1', 'W1 Raft batch', true);
  ahead('w2-16', 'W2 16 appenders', true);
  ahead('w2-1', 'W2 1 appender', true);
  ahead('w3', 'W3 unsynced 4 KiB', false);
  const opens = results.rows.filter((row) => row.workload === 4 && row.results.lsfs !== undefined);
  if (opens.length > 0) {
    const times = opens.map((row) => row.results.lsfs!.value);
    const worst = Math.max(...times);
    out.push({ id: 'w4-50ms', text: 'W4 open + last entry under 50 ms', met: worst < 50, measured: opens.map((row) => `${row.id}: ${formatNumber(row.results.lsfs!.value, 'ms')} ms`).join(', ') });
    if (opens.length > 1) {
      const first = times[0]!;
      const last = times[times.length - 1]!;
      out.push({
        id: 'w4-flat',
        text: 'W4 independent of log size (largest ≤ 1.5× smallest, or within 1 ms)',
        met: last <= first * 1.5 || last - first <= 1,
        measured: `${formatNumber(last, 'ms')} ms vs ${formatNumber(first, 'ms')} ms (${(last / first).toFixed(2)}×)`,
      });
    }
  }
  const verify = rowById(results, 'w6')?.results.lsfs;
  if (verify !== undefined) out.push({ id: 'w6-1GBps', text: 'W6 LSFS verify at least 1 GB/s', met: verify.value >= 1000, measured: `${formatNumber(verify.value, 'MB/s')} MB/s` });
  const space = rowById(results, 'w7-256')?.results.lsfs;
  if (space !== undefined) out.push({ id: 'w7-256', text: 'W7 at most 1.15 bytes on disk per payload byte (256 B entries)', met: space.value <= 1.15, measured: `${space.value.toFixed(3)}` });
  return out;
}

export function targetsText(targets: readonly TargetJson[]): string {
  return targets.map((target) => `${target.met ? 'MET   ' : 'MISSED'}  ${target.text}: ${target.measured}`).join('\n');
}

export function targetsMarkdown(targets: readonly TargetJson[]): string {
  return ['| target | result | measured |', '|---|---|---|', ...targets.map((target) => `| ${target.text} | ${target.met ? '✅ met' : '❌ missed'} | ${target.measured} |`)].join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Diverging bars on a log scale: each peer's ratio to LSFS per workload row; left of 1 = LSFS ahead. */
export function svgChart(results: Results): string {
  const peers = COLUMN_ORDER.filter((id) => id !== 'lsfs' && results.rows.some((row) => row.results[id]?.ratio !== undefined));
  const rows = results.rows.filter((row) => peers.some((id) => row.results[id]?.ratio !== undefined));
  const ratios = rows.flatMap((row) => peers.map((id) => row.results[id]?.ratio).filter((r): r is number => r !== undefined && r > 0 && Number.isFinite(r)));
  // Room beyond the extreme bars for their value labels.
  const lowExp = Math.min(-2, Math.floor(Math.log2(Math.min(...ratios, 1)) - 0.6));
  const highExp = Math.max(2, Math.ceil(Math.log2(Math.max(...ratios, 1)) + 0.6));
  const width = 960;
  const left = 330;
  const right = width - 70;
  const barHeight = 11;
  const groupGap = 12;
  const top = 70;
  const groupHeight = (row: RowJson): number => peers.filter((id) => row.results[id]?.ratio !== undefined).length * (barHeight + 2) + groupGap;
  const height = top + rows.reduce((sum, row) => sum + groupHeight(row), 0) + 50;
  const x = (ratio: number): number => left + ((Math.log2(ratio) - lowExp) / (highExp - lowExp)) * (right - left);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">Each peer relative to LSFS (log scale; left of 1 = LSFS ahead)</text>`);
  parts.push(`<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${escapeXml(`${results.profile.name} profile, ${results.machine.cpuModel}, ${results.machine.cores} cores, ${results.machine.fsType}, Node ${results.machine.node}, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC`)}</text>`);
  let legendX = left;
  for (const id of peers) {
    parts.push(`<rect x="${legendX}" y="48" width="12" height="12" fill="${COLORS[id]}"/><text x="${legendX + 16}" y="58">${LABELS[id]}</text>`);
    legendX += 90;
  }
  const plotBottom = height - 42;
  for (let exp = lowExp; exp <= highExp; exp++) {
    const tx = x(2 ** exp);
    const label = exp >= 0 ? `${2 ** exp}` : `1/${2 ** -exp}`;
    parts.push(`<line x1="${tx.toFixed(1)}" y1="${top - 6}" x2="${tx.toFixed(1)}" y2="${plotBottom}" stroke="${exp === 0 ? '#000' : '#ddd'}" stroke-width="${exp === 0 ? 1.5 : 1}"/>`);
    parts.push(`<text x="${tx.toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle" fill="#555">${label}</text>`);
  }
  let y = top;
  for (const row of rows) {
    const present = peers.filter((id) => row.results[id]?.ratio !== undefined);
    const groupTop = y;
    const label = row.short ?? `${row.id}: ${row.title}`;
    parts.push(`<text x="${left - 8}" y="${(groupTop + (present.length * (barHeight + 2)) / 2 + 4).toFixed(1)}" text-anchor="end">${escapeXml(label.length > 52 ? `${label.slice(0, 51)}…` : label)}</text>`);
    for (const id of present) {
      const ratio = row.results[id]!.ratio!;
      const x0 = x(1);
      const x1 = x(Math.min(Math.max(ratio, 2 ** lowExp), 2 ** highExp));
      parts.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${barHeight}" fill="${COLORS[id]}"><title>${escapeXml(`${LABELS[id]}: ${formatRatio(ratio)}`)}</title></rect>`);
      const textX = ratio >= 1 ? x1 + 4 : x1 - 4;
      parts.push(`<text x="${textX.toFixed(1)}" y="${y + barHeight - 1}" font-size="10" text-anchor="${ratio >= 1 ? 'start' : 'end'}" fill="#333">${formatRatio(ratio)}</text>`);
      y += barHeight + 2;
    }
    y += groupGap;
    parts.push(`<line x1="10" y1="${y - groupGap / 2}" x2="${right}" y2="${y - groupGap / 2}" stroke="#f0f0f0"/>`);
  }
  parts.push(`<text x="${(left + right) / 2}" y="${height - 6}" text-anchor="middle" fill="#555">peer ÷ LSFS on a higher-is-better basis (throughput, 1/time, 1/bytes)</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function gib(bytes: number): string {
  return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
}

/** The generated part of docs/benchmarks.md. */
export function markdownResults(results: Results, jsonPath: string, svgPath: string): string {
  const m = results.machine;
  const lines: string[] = [];
  lines.push(`## Results: ${results.profile.name} profile, ${results.startedAt.slice(0, 10)}`);
  lines.push('');
  lines.push(`Generated from [\`${jsonPath.replace(/^\.\.\//, '')}\`](${jsonPath}) by \`npm run bench:docs\`. One process run, ${results.durationSeconds.toFixed(0)} s; every store runs each workload once to warm up (workload 1: ${results.profile.appendWarmUps} times), then ${results.profile.syncReps} times (workloads 1–2), ${results.profile.reps} times (3–6) or once (7), stores alternating (each repetition starts with the next store); the table shows medians. In brackets: the peer relative to LSFS on a higher-is-better basis (throughput, 1/time, 1/bytes) — **below ×1.00, LSFS is ahead**.`);
  lines.push('');
  lines.push(`**Machine:** ${m.cpuModel}, ${m.cores} cores, ${gib(m.memoryBytes)} RAM, ${m.platform} (kernel ${m.kernel}); temp dir \`${m.tempDir}\` on ${m.fsType} (${m.device}, ${m.diskModel}${m.rotational === undefined ? '' : m.rotational ? ', reported rotational' : ', non-rotational'}; mount options \`${m.mountOptions}\`); Node ${m.node} (V8 ${m.v8}), flags \`${results.nodeFlags.join(' ') || '(none)'}\`, UV_THREADPOOL_SIZE ${m.uvThreadpoolSize}. Load average (1/5/15 min) ${m.loadAverage.join(' / ')} at the start, ${results.loadAverageEnd.join(' / ')} at the end.`);
  lines.push('');
  lines.push(markdownTable(results));
  lines.push('');
  lines.push(`![Each peer relative to LSFS](${svgPath})`);
  lines.push('');
  lines.push('### Targets');
  lines.push('');
  lines.push(targetsMarkdown(results.targets));
  lines.push('');
  lines.push('### What each row measures');
  lines.push('');
  const notes = new Map<string, string[]>();
  for (const row of results.rows) if (row.note !== undefined) notes.set(row.note, [...(notes.get(row.note) ?? []), row.id]);
  for (const [note, ids] of notes) lines.push(`- **${ids.join(', ')}** — ${note}`);
  lines.push('');
  lines.push('### Stores and settings');
  lines.push('');
  lines.push('| store | version | durable workloads | unsynced workloads | verify (W6) measures |');
  lines.push('|---|---|---|---|---|');
  for (const store of results.stores) lines.push(`| ${store.label} | ${store.version} | ${store.settings.durable} | ${store.settings.unsynced} | ${store.verifyMeasures} |`);
  lines.push('');
  lines.push(`LSFS ran as: ${results.lsfsVariant}.`);
  if (results.missing.length > 0 || results.skipped.length > 0) {
    lines.push('');
    for (const missing of results.missing) lines.push(`- Left out: ${missing.id} — ${missing.reason}`);
    for (const skipped of results.skipped) lines.push(`- Skipped: ${skipped}`);
  }
  if (results.builds.length > 0) {
    lines.push('');
    lines.push('Logs built for workloads 4–6 (bulk load of 256 B entries in durable batches of 4096; not a target, shown for context):');
    lines.push('');
    lines.push('| log | store | entries | load time | entries/s | file bytes |');
    lines.push('|---|---|---:|---:|---:|---:|');
    for (const build of results.builds) {
      lines.push(`| ${formatSize(build.size)} | ${LABELS[build.store]} | ${build.entries.toLocaleString('en-US')} | ${(build.buildMs / 1000).toFixed(1)} s | ${Math.round((build.entries * 1000) / build.buildMs).toLocaleString('en-US')} | ${build.apparentBytes.toLocaleString('en-US')} |`);
    }
  }
  return lines.join('\n');
}
