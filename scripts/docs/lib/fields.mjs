/**
 * Every field on disk: where it is, what it means, which requirements govern it. The fields, their
 * order and sizes come from spec/lsfs.ksy; their offsets and values are checked against the field
 * tables of spec/lsfs-format.md; the meaning is the spec's `value` column and the schema's `doc`.
 * Only the requirement ids and the place of each structure are written here, and the build fails
 * when a field of the schema has no entry below (so a new field cannot go undocumented) or an entry
 * names a field or requirement that does not exist.
 */
import { DocsError, escapeHtml } from './common.mjs';
import { loadFieldTables } from './specs.mjs';

/**
 * The structures of an LSFS file, in the order of the spec, with where each lies and the spec
 * section that defines it. `type` is the lsfs.ksy type; `synthetic` structures are not types of
 * their own in the schema (the payload is the rest of a record's data, padding a field of block_data).
 */
export const STRUCTURES = [
  { key: 'file_header', title: 'File header', section: '4', where: 'offset 0, 64 bytes' },
  { key: 'block_header', title: 'Block header', section: '5', where: 'offset k × block_size for every block k ≥ 1, 32 bytes' },
  { key: 'slice_header', title: 'Slice header', section: '6', where: 'at the slice offset q, in a block\'s data area, 8 bytes' },
  { key: 'slice', title: 'Slice data', section: '6', where: 'q + 8, data_length bytes' },
  { key: 'record_header', title: 'Record header', section: '7', where: 'the first 12 bytes of a FULL or FIRST slice\'s data (q + 8)' },
  { key: 'record', title: 'Record payload', section: '7', where: 'after the record header, continued in the data of the record\'s MIDDLE and LAST slices', synthetic: true },
  { key: 'slice_trailer', title: 'Slice trailer', section: '6', where: 'q + 8 + data_length, 4 bytes' },
  { key: 'block_data', title: 'Padding', section: '8', where: 'the end of a block, fewer than 24 bytes' },
];

/** Requirement ids of each leaf field (`type.field` of lsfs.ksy), the governing one first. */
export const FIELD_REQUIREMENTS = {
  'file_header.magic': ['RSF-020', 'RSF-022'],
  'file_header.format_version': ['RSF-022'],
  'file_header.block_size_log2': ['RSF-001', 'RSF-022'],
  'file_header.reserved_0': ['RSF-022'],
  'file_header.feature_flags': ['RSF-022'],
  'file_header.file_id': ['RSF-021', 'RSF-041'],
  'file_header.base_index': ['RSF-022', 'RSF-003', 'RSF-073'],
  'file_header.reserved_1': ['RSF-022'],
  'file_header.header_crc': ['RSF-010', 'RSF-022'],
  'block_header.magic': ['RSF-030', 'RSF-031'],
  'block_header.header_crc': ['RSF-010', 'RSF-031'],
  'block_header.file_id': ['RSF-031'],
  'block_header.block_number': ['RSF-031'],
  'block_header.first_index': ['RSF-032', 'RSF-090'],
  'slice_header.magic': ['RSF-042'],
  'slice_header.kind': ['RSF-043', 'RSF-042'],
  'slice_header.reserved': ['RSF-042'],
  'slice_header.data_length': ['RSF-042', 'RSF-050', 'RSF-040'],
  'slice_header.header_check': ['RSF-041', 'RSF-042'],
  'slice.data': ['RSF-050', 'RSF-040'],
  'record_header.type_code': ['RSF-052'],
  'record_header.payload_length': ['RSF-002', 'RSF-051', 'RSF-050'],
  'record.payload': ['RSF-050', 'RSF-011'],
  'slice_trailer.slice_crc': ['RSF-041', 'RSF-010', 'RSF-042'],
  'block_data.padding': ['RSF-061', 'RSF-062'],
};

/** Meaning of the fields that the spec's tables do not list. */
const EXTRA_MEANING = {
  'slice.data': 'A piece of one record\'s data: the record header and payload, cut into the record\'s slices.',
  'record.payload': 'The record\'s payload bytes (0 to 2^30), after its 12-byte record header; they continue in the data of the record\'s MIDDLE and LAST slices.',
  'block_data.padding': 'Zero bytes filling a block\'s end when fewer than 24 bytes are left after a FULL or LAST slice and the next record starts in the next block.',
};

const PRIMITIVE_SIZES = { u1: 1, u2: 2, u4: 4, u8: 8 };

/** Byte size of a seq entry of the schema, or undefined when it varies. */
function entrySize(entry) {
  if (entry.contents !== undefined) return Array.isArray(entry.contents) ? entry.contents.length : Buffer.from(String(entry.contents), 'latin1').length;
  if (typeof entry.type === 'string' && PRIMITIVE_SIZES[entry.type] !== undefined && entry.repeat === undefined) return PRIMITIVE_SIZES[entry.type];
  if (typeof entry.size === 'number') return entry.size;
  return undefined;
}

/** True for a seq entry that holds bytes rather than another type of the schema. */
function isLeaf(entry, ksy) {
  return typeof entry.type !== 'string' || PRIMITIVE_SIZES[entry.type] !== undefined || !(entry.type.split('(')[0] in ksy.types);
}

/**
 * @typedef {{ key: string, structure: typeof STRUCTURES[number], field: string, offset: string,
 *   size: string, meaning: string, requirements: string[], enumValues?: string }} FieldInfo
 */

/**
 * The catalog of every leaf field of lsfs.ksy, in structure order. `knownIds` is the set of
 * requirement ids the specs define.
 * @returns {Promise<FieldInfo[]>}
 */
export async function fieldCatalog(ksy, knownIds) {
  const tables = await loadFieldTables('spec/lsfs-format.md');
  const problems = [];
  /** @type {FieldInfo[]} */
  const fields = [];
  const seenKeys = new Set();
  for (const structure of STRUCTURES) {
    if (structure.synthetic) {
      fields.push(makeField(structure, 'payload', '12 (in a FULL or FIRST slice\'s data)', 'payload_length', ''));
      continue;
    }
    const type = ksy.types[structure.key];
    if (!type) {
      problems.push(`lsfs.ksy has no type ${structure.key}`);
      continue;
    }
    // The spec table whose fields are exactly this type's leaf fields.
    const leafEntries = type.seq.filter((entry) => isLeaf(entry, ksy));
    const names = leafEntries.map((entry) => entry.id).join(',');
    const table = tables.find((t) => t.rows.map((row) => row.field).join(',') === names);
    let offset = 0;
    for (const entry of type.seq) {
      const size = entrySize(entry);
      if (isLeaf(entry, ksy)) {
        const key = `${structure.key}.${entry.id}`;
        const row = table?.rows.find((r) => r.field === entry.id);
        if (row && offset !== undefined && String(offset) !== row.offset) {
          problems.push(`${key}: lsfs.ksy puts it at offset ${offset}, the spec's table at ${row.offset}`);
        }
        if (row && size !== undefined && String(size) !== row.size) {
          problems.push(`${key}: lsfs.ksy gives it ${size} bytes, the spec's table ${row.size}`);
        }
        const offsetText = offset === undefined ? (entry.id === 'padding' ? 'after the block\'s last slice' : 'after the data') : String(offset);
        const sizeText = size !== undefined ? String(size) : entry.id === 'padding' ? '0 to 23' : entry.size !== undefined ? String(entry.size).replace(/^header\./, '') : 'varies';
        const meaning = joinMeaning(row?.value, entry.doc);
        fields.push(makeField(structure, entry.id, offsetText, sizeText, meaning, entry.enum));
      }
      offset = offset === undefined || size === undefined ? undefined : offset + size;
    }
  }

  function makeField(structure, field, offset, size, meaning, enumName) {
    const key = `${structure.key}.${field}`;
    seenKeys.add(key);
    const requirements = FIELD_REQUIREMENTS[key];
    if (!requirements) {
      problems.push(`field ${key} of spec/lsfs.ksy has no requirement ids in scripts/docs/lib/fields.mjs FIELD_REQUIREMENTS`);
    } else {
      for (const id of requirements) if (!knownIds.has(id)) problems.push(`FIELD_REQUIREMENTS['${key}'] names ${id}, which no spec defines`);
    }
    const enumValues = enumName ? Object.entries(ksy.enums[enumName]).map(([value, def]) => `${value} ${(def.id ?? def).toUpperCase()}`).join(', ') : undefined;
    const text = meaning || EXTRA_MEANING[key] || '';
    if (!text) problems.push(`field ${key} has no meaning: neither the spec's tables, nor a doc in lsfs.ksy, nor EXTRA_MEANING`);
    return { key, structure, field, offset, size, meaning: text, requirements: requirements ?? [], enumValues };
  }

  for (const key of Object.keys(FIELD_REQUIREMENTS)) if (!seenKeys.has(key)) problems.push(`FIELD_REQUIREMENTS names ${key}, which lsfs.ksy does not have`);
  if (problems.length > 0) throw new DocsError(`the field catalog is inconsistent:\n  ${problems.join('\n  ')}`);
  return fields;
}

/** The spec's value text and the schema's doc, without saying the same thing twice. */
function joinMeaning(value, doc) {
  const a = (value ?? '').trim();
  const b = (doc ?? '').trim().replace(/\s+/g, ' ');
  const norm = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  if (!b || norm(a).includes(norm(b))) return a;
  if (!a || norm(b).includes(norm(a))) return b;
  return `${a} — ${b}`;
}

/** Anchor id of a field's row in the field table of index.html. */
export function fieldAnchor(key) {
  return `field-${key.replace('.', '-')}`;
}

/** The field's name for display, e.g. `slice_header.kind`. */
export function fieldLabel(field) {
  return `${escapeHtml(field.structure.key === 'record' ? 'record' : field.structure.key)}.<b>${escapeHtml(field.field)}</b>`;
}
