/**
 * Annotated hex views: every byte range of a small LSFS file labelled with its structure, field,
 * value and the requirements that govern it. The ranges come from the parse tree of the parser
 * generated from spec/lsfs.ksy in debug mode (`_debug` holds each field's start and end in its
 * stream, and `ioOffset` the stream's offset in the file); the record header inside a FULL or FIRST
 * slice's data is parsed with the schema's `record_header` type, as spec/kaitai-wrapper.ts does.
 */
import { escapeHtml } from './common.mjs';
import { FIELD_REQUIREMENTS } from './fields.mjs';

const KIND_NAMES = { 1: 'FULL', 2: 'FIRST', 3: 'MIDDLE', 4: 'LAST' };

/** lsfs.ksy names are snake_case; the generated JavaScript uses camelCase (`reserved_0` → `reserved0`). */
const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const SNAKE_NAMES = new Map(Object.keys(FIELD_REQUIREMENTS).map((key) => key.split('.')[1]).map((field) => [camel(field), field]));
function snake(name) {
  return SNAKE_NAMES.get(name) ?? name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * @typedef {{ start: number, end: number, structure: string, field: string, value: string,
 *   context: string, requirements: string[] }} ByteRange
 */

/**
 * Parses `bytes` with the debug parser and returns its labelled ranges, in file order, covering
 * every byte; or `{ error }` when the schema cannot parse the file as a whole (a damaged or torn
 * file, which the docs do not show as a hex view).
 * @returns {{ ranges: ByteRange[], blockSize: number, records: { index: bigint, typeCode: bigint, payloadLength: number }[] } | { error: string }}
 */
export function annotate(bytes, { exports, KaitaiStream }) {
  const { Lsfs } = exports;
  const buffer = Buffer.from(bytes);
  const arrayBuffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  let root;
  try {
    root = new Lsfs(new KaitaiStream(arrayBuffer));
    root._read();
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  /** @type {ByteRange[]} */
  const ranges = [];
  const u64 = (at) => buffer.readBigUInt64LE(at);

  // Leaf fields of one parsed structure, with their absolute offsets.
  const leaves = (object, structure, context, describeValue = defaultValue) => {
    for (const [name, debug] of Object.entries(object._debug)) {
      if (name.startsWith('_m_') || debug.end === undefined) continue;
      const value = object[name];
      if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !Array.isArray(value)) continue;
      const start = debug.ioOffset + debug.start;
      const end = debug.ioOffset + debug.end;
      const field = snake(name);
      const shown = value instanceof Uint8Array ? bytesText(buffer.subarray(start, end)) : describeValue(field, start, end);
      ranges.push({ start, end, structure, field, value: shown, context, requirements: FIELD_REQUIREMENTS[`${structure}.${field}`] ?? [] });
    }
  };
  const defaultValue = (field, start, end) => {
    const size = end - start;
    if (size === 1) return String(buffer[start]);
    if (size === 2) return `${buffer.readUInt16LE(start)}`;
    if (size === 4) return `${buffer.readUInt32LE(start)} (0x${buffer.readUInt32LE(start).toString(16).padStart(8, '0')})`;
    if (size === 8 && !/magic/.test(field)) return `${u64(start)} (0x${u64(start).toString(16).padStart(16, '0')})`;
    return bytesText(buffer.subarray(start, end));
  };

  leaves(root.fileHeader, 'file_header', 'file header', (field, start, end) => {
    if (field === 'block_size_log2') return `${buffer[start]} (block size ${2 ** buffer[start]})`;
    if (field === 'file_id') return `0x${u64(start).toString(16).padStart(16, '0')}`;
    return defaultValue(field, start, end);
  });
  const blockSize = 2 ** root.fileHeader.blockSizeLog2;
  let nextIndex = u64(24);
  let current = undefined;
  let invalidRecordHeader;
  const records = [];
  root.blocks.forEach((block, k) => {
    if (block.header) leaves(block.header, 'block_header', `block ${k} header`);
    const slices = block.data.slices ?? [];
    for (const slice of slices) {
      const kind = slice.header.kind;
      const kindName = KIND_NAMES[kind] ?? `kind ${kind}`;
      const q = slice._debug.header.ioOffset + slice._debug.header.start;
      if (kind === 1 || kind === 2) current = { index: nextIndex++, typeCode: 0n, payloadLength: 0 };
      const context = `block ${k}, ${kindName} slice at ${q}` + (current ? `, record ${current.index}` : '');
      leaves(slice.header, 'slice_header', context, (field, start, end) => (field === 'kind' ? `${kind} ${kindName}` : defaultValue(field, start, end)));
      const dataStart = slice._debug.data.ioOffset + slice._debug.data.start;
      const dataEnd = slice._debug.data.ioOffset + slice._debug.data.end;
      let payloadStart = dataStart;
      if ((kind === 1 || kind === 2) && dataEnd - dataStart >= 12) {
        const recordHeader = new Lsfs.RecordHeader(new KaitaiStream(arrayBuffer, dataStart), slice, root);
        try {
          recordHeader._read();
        } catch (error) {
          // A record header the schema rejects (a payload length over the limit): not an example.
          invalidRecordHeader = error instanceof Error ? error.message : String(error);
          continue;
        }
        current.typeCode = u64(dataStart);
        current.payloadLength = recordHeader.payloadLength;
        records.push(current);
        leaves(recordHeader, 'record_header', `record ${current.index}`);
        payloadStart = dataStart + 12;
      }
      if (dataEnd > payloadStart) {
        const payload = buffer.subarray(payloadStart, dataEnd);
        ranges.push({ start: payloadStart, end: dataEnd, structure: 'record', field: 'payload', value: bytesText(payload), context: current ? `record ${current.index}` : 'record', requirements: FIELD_REQUIREMENTS['record.payload'] });
      }
      leaves(slice.trailer, 'slice_trailer', context);
    }
    const padding = block.data._debug.padding;
    if (padding && padding.arr.length > 0) {
      const start = padding.ioOffset + padding.arr[0].start;
      const end = padding.ioOffset + padding.arr[padding.arr.length - 1].end;
      ranges.push({ start, end, structure: 'block_data', field: 'padding', value: `${end - start} zero bytes`, context: `end of block ${k}`, requirements: FIELD_REQUIREMENTS['block_data.padding'] });
    }
  });
  if (invalidRecordHeader !== undefined) return { error: invalidRecordHeader };
  ranges.sort((a, b) => a.start - b.start);
  let at = 0;
  for (const range of ranges) {
    if (range.start !== at) throw new Error(`hex view: bytes ${at}..${range.start} have no field (parse tree gap)`);
    at = range.end;
  }
  if (at !== buffer.length) throw new Error(`hex view: bytes ${at}..${buffer.length} have no field`);
  return { ranges, blockSize, records };
}

/** A short, readable rendering of some bytes: ASCII when printable, else hex, cut after 24 bytes. */
function bytesText(bytes) {
  const shown = bytes.subarray(0, 24);
  const printable = shown.length > 0 && shown.every((b) => b >= 0x20 && b < 0x7f);
  const text = printable ? JSON.stringify(Buffer.from(shown).toString('latin1')) : Buffer.from(shown).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return bytes.length > shown.length ? `${text} … (${bytes.length} bytes)` : text || '(none)';
}

/** The set of fields and slice kinds a file shows: what a choice of example files should cover. */
export function featuresOf(annotation) {
  const features = new Set(annotation.ranges.map((r) => `${r.structure}.${r.field}`));
  if (features.has('slice_header.magic')) features.add('slice.data');
  for (const r of annotation.ranges) if (r.field === 'kind') features.add(`kind ${r.value}`);
  return features;
}

/** Anchor id of a byte range in a hex view. */
export function rangeAnchor(range) {
  return `r-${range.start}`;
}

/**
 * The hex view page's body. `example` = { id, title, description, requirements, source },
 * `links` resolves requirement ids and field keys to URLs relative to this page.
 */
export function hexViewBody(bytes, annotation, example, links) {
  const { ranges } = annotation;
  const byteRange = new Array(bytes.length);
  ranges.forEach((range, i) => {
    for (let b = range.start; b < range.end; b++) byteRange[b] = i;
  });
  const rows = [];
  for (let row = 0; row < bytes.length; row += 16) {
    const cells = [];
    const ascii = [];
    let b = row;
    while (b < Math.min(row + 16, bytes.length)) {
      const i = byteRange[b];
      const range = ranges[i];
      const until = Math.min(range.end, row + 16, bytes.length);
      const hex = [];
      for (let c = b; c < until; c++) {
        hex.push(bytes[c].toString(16).padStart(2, '0'));
        ascii.push(bytes[c] >= 0x20 && bytes[c] < 0x7f ? escapeHtml(String.fromCharCode(bytes[c])) : '.');
      }
      const title = `${range.structure}.${range.field} [${range.start}, ${range.end}) ${range.context}: ${range.value} — ${range.requirements.join(', ')}`;
      cells.push(`<a class="seg s-${range.structure} f${i % 2}" href="#${rangeAnchor(range)}" title="${escapeHtml(title)}">${hex.join(' ')}</a>`);
      b = until;
    }
    const blockStart = row > 0 && row % annotation.blockSize === 0;
    const label = row % annotation.blockSize === 0 ? `<span class="blocklabel">block ${row / annotation.blockSize}</span>` : '';
    const pad = '   '.repeat(16 - Math.min(16, bytes.length - row));
    rows.push(`<div class="hexrow${blockStart ? ' blockstart' : ''}"><span class="off">${row.toString(16).padStart(8, '0')}</span>  <span class="bytes">${cells.join(' ')}</span>${pad}  <span class="ascii">${ascii.join('')}</span>${label}</div>`);
  }
  const legend = ranges
    .map(
      (range) => `<tr id="${rangeAnchor(range)}" class="s-${range.structure}">
  <td class="num sw">${range.start}</td><td class="num">0x${range.start.toString(16)}</td><td class="num">${range.end - range.start}</td>
  <td><a href="${links.field(`${range.structure}.${range.field}`)}">${escapeHtml(range.structure)}.<b>${escapeHtml(range.field)}</b></a></td>
  <td>${escapeHtml(range.context)}</td><td><code>${escapeHtml(range.value)}</code></td>
  <td>${range.requirements.map((id) => `<a href="${links.requirement(id)}">${id}</a>`).join(' ')}</td></tr>`,
    )
    .join('\n');
  const requirementLinks = (example.requirements ?? []).map((id) => `<a href="${links.requirement(id)}">${id}</a>`).join(' ');
  return `<h1>Hex view: ${escapeHtml(example.title)}</h1>
<p>${example.description}</p>
<dl class="facts">
  <dt>file</dt><dd>${example.sourcePath ? `<a href="${links.repoFile(example.sourcePath)}">${example.source}</a>` : example.source}</dd>
  <dt>size</dt><dd>${bytes.length} bytes, block size ${annotation.blockSize}, ${annotation.records.length} record(s) starting in it</dd>
  ${requirementLinks ? `<dt>requirements</dt><dd>${requirementLinks}</dd>` : ''}
</dl>
<p>Each byte range below is one field, labelled by the parse tree of the parser generated from
<code>spec/lsfs.ksy</code>. Hover over the bytes for the field, click them for its row in the table.</p>
<div class="legend-key">${['file_header', 'block_header', 'slice_header', 'record_header', 'record', 'slice_trailer', 'block_data']
    .map((s) => `<span class="seg s-${s} f0">${s === 'record' ? 'payload' : s === 'block_data' ? 'padding' : s}</span>`)
    .join(' ')}</div>
<div class="hex">
${rows.join('\n')}
</div>
<h2>Fields</h2>
<table class="fields">
<thead><tr><th>offset</th><th>hex</th><th>size</th><th>field</th><th>where</th><th>value</th><th>requirements</th></tr></thead>
<tbody>
${legend}
</tbody>
</table>`;
}
