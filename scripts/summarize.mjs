// Adds up the suites' own reports into the one closing line CI reads: "all: N passed, N failed".
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0;
const missing = [];
for (const name of ['sidecar', 'frontend', 'root']) {
  const f = join(dir, `${name}.json`);
  if (!existsSync(f)) { missing.push(name); continue; }
  const r = JSON.parse(readFileSync(f, 'utf8'));
  passed += r.numPassedTests; failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  if (!r.success && r.numFailedTests === 0) failed += 1; // a suite that crashed before running tests
}
const xml = join(dir, 'pytest.xml');
if (existsSync(xml)) {
  const head = /<testsuite [^>]*>/.exec(readFileSync(xml, 'utf8'))?.[0] ?? '';
  const n = (k) => Number(new RegExp(`${k}="(\\d+)"`).exec(head)?.[1] ?? 0);
  failed += n('failures') + n('errors'); skipped += n('skipped');
  passed += n('tests') - n('failures') - n('errors') - n('skipped');
} else missing.push('pytest');
for (const m of missing) { console.log(`suite ${m} produced no report`); failed += 1; }
if (skipped) console.log(`(${skipped} skipped — not counted as passed)`);
console.log(`all: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
