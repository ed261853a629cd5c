/**
 * Deterministic JSON text for the manifest: an object or array is written on one line when that
 * line is short or when it holds only numbers, strings, booleans and nulls (a record object, a list
 * of requirement ids: one line each, however long), and expanded with two-space indentation
 * otherwise. Key order is insertion order.
 */
const LINE_LIMIT = 120;

export function formatJson(value: unknown): string {
  return `${format(value, '')}\n`;
}

function format(value: unknown, indent: string): string {
  const inline = JSON.stringify(value);
  if (inline === undefined) throw new Error('cannot format undefined as JSON');
  if (value === null || typeof value !== 'object' || indent.length + inline.length <= LINE_LIMIT || isFlat(value)) return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + format(item, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${format(item, inner)}`).join(',\n')}\n${indent}}`;
}

function isFlat(value: object): boolean {
  return Object.values(value).every((item) => item === null || typeof item !== 'object');
}
