/**
 * `npm run check` (and so `npm test`, through pretest): the static checks, each of them even when
 * an earlier one fails, so that one run shows every problem; exits non-zero if any failed.
 */
import { spawnSync } from 'node:child_process';

const CHECKS = [
  ['typecheck', 'TypeScript, strict'],
  ['lint', 'Biome: lint and format'],
  ['deps', 'dependency-cruiser: layering and cycles'],
  ['deadcode', 'knip: unused files, exports and dependencies'],
];

const failed = [];
for (const [script, what] of CHECKS) {
  console.log(`\n> npm run ${script}  (${what})`);
  const { status, error } = spawnSync('npm', ['run', '--silent', script], { stdio: 'inherit' });
  if (error || status !== 0) failed.push(script);
}

if (failed.length > 0) {
  console.error(`\ncheck failed: ${failed.join(', ')} (${failed.length} of ${CHECKS.length} checks)`);
  process.exit(1);
}
console.log(`\ncheck passed: ${CHECKS.map(([script]) => script).join(', ')}`);
