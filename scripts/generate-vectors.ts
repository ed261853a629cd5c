/**
 * Generates the LSFS golden test vectors (test-vectors/): `node dist/scripts/generate-vectors.js [OUT_DIR]`.
 * OUT_DIR defaults to `test-vectors` in the working directory; its `files/` folder and
 * `manifest.json` are replaced, nothing else in it is touched. Prints what it wrote, and every
 * place where the engine disagreed with itself while computing expectations (there should be none).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateVectors } from './vectors/generate.js';

export { generateVectors } from './vectors/generate.js';

async function main(): Promise<number> {
  const outDir = resolve(process.argv[2] ?? 'test-vectors');
  const started = Date.now();
  const { manifest, files, observations, corrections } = await generateVectors(outDir);
  console.log(`lsfs vectors: ${manifest.numberOfCases} cases, ${files.length} files in ${outDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const correction of corrections) console.log(`known engine disagreement, the vector follows the spec: ${correction}`);
  for (const observation of observations) console.error(`engine observation: ${observation}`);
  return observations.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
