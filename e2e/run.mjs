// Shanhai (山海) browser end-to-end tests: the runner.
//
//   SHANHAI_URL=http://127.0.0.1:18080 SHANHAI_SCREENSHOT_DIR=/tmp/shots node e2e/run.mjs
//
// The cases are split by the role whose day they walk through: e2e/roles/<role>.mjs and
// e2e/roles/<role>-<topic>.mjs, each exporting CASES = [[name, fn, contextOptions?], ...]. The
// runner loads every file in e2e/roles in name order and runs its cases in sequence, each in its
// own fresh browser context; the helpers they share are in e2e/lib.mjs. Ends with
// "N passed, M failed" and exits non-zero on any failure. SHANHAI_E2E_ONLY=<regex> runs only the
// cases whose names match. Expects a freshly started `shanhai serve --demo`.

import { chromium } from 'playwright-core';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BASE_URL, SHOT_DIR, CHROMIUM, CASE_TIMEOUT_MS, ONLY, newContext, shot, withTimeout } from './lib.mjs';

const ROLES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'roles');

/** Every case of every role file, in file-name order. */
async function loadCases() {
  const cases = [];
  for (const file of readdirSync(ROLES).filter((f) => f.endsWith('.mjs')).sort()) {
    const mod = await import(pathToFileURL(path.join(ROLES, file)).href);
    for (const c of mod.CASES) cases.push(c);
  }
  return cases;
}

async function main() {
  const CASES = await loadCases();
  const started = Date.now();
  console.log(`e2e: ${BASE_URL}, screenshots in ${SHOT_DIR}, chromium ${CHROMIUM}`);
  let passed = 0;
  let failed = 0;
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
      ],
    });
  } catch (e) {
    console.error(`could not launch Chromium at ${CHROMIUM}: ${e.message}`);
    console.log(`0 passed, ${CASES.length} failed`);
    process.exit(1);
  }
  for (const [name, fn, options] of CASES.filter(([n]) => !ONLY || ONLY.test(n))) {
    const t0 = Date.now();
    const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
    console.log(`\n[case ${name}]`);
    let ctx;
    let page;
    try {
      ctx = await newContext(browser, options);
      page = await ctx.newPage();
      await withTimeout(fn(page, ctx), CASE_TIMEOUT_MS, name);
      passed += 1;
      console.log(`  PASS ${name} (${secs()})`);
    } catch (e) {
      failed += 1;
      console.log(`  FAIL ${name} (${secs()})`);
      console.log(`    ${String(e && e.stack ? e.stack : e).split('\n').join('\n    ')}`);
      if (page) {
        console.log(`    at ${page.url()}`);
        await shot(page, `FAILED-case${name.split(' ')[0]}`).catch(() => {});
      }
    } finally {
      if (ctx) await ctx.close().catch(() => {});
    }
  }
  await browser.close().catch(() => {});
  console.log(`\ne2e finished in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
