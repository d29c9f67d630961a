// Shanhai (山海) browser end-to-end tests.
//
//   SHANHAI_URL=http://127.0.0.1:18080 SHANHAI_SCREENSHOT_DIR=/tmp/shots node e2e/run.mjs
//
// Plain node script (no test runner): each test case is a named async function, run in sequence
// in its own fresh browser context. Every meaningful step saves a full-page screenshot as
// NN-name.png in SHANHAI_SCREENSHOT_DIR. Ends with "N passed, M failed" and exits non-zero on
// any failure. Expects a freshly started `shanhai serve --demo` (demo password shanhai-demo).

import { chromium } from 'playwright-core';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE_URL = (process.env.SHANHAI_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const SHOT_DIR = process.env.SHANHAI_SCREENSHOT_DIR || path.join(HERE, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PASSWORD = 'shanhai-demo';
const STEP_TIMEOUT_MS = 15_000; // any single Playwright action or navigation
const CASE_TIMEOUT_MS = 120_000; // a whole test case

mkdirSync(SHOT_DIR, { recursive: true });
// Screenshots from an earlier run would be mistaken for this run's: remove our NN-name.png files.
for (const f of readdirSync(SHOT_DIR)) {
  if (/^\d{2}-[\w-]+\.png$/.test(f)) rmSync(path.join(SHOT_DIR, f));
}

// ---------------------------------------------------------------------------------------------
// Helpers

let shotNo = 0;
/** Full-page screenshot saved as NN-name.png. */
async function shot(page, name) {
  shotNo += 1;
  const file = `${String(shotNo).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: path.join(SHOT_DIR, file), fullPage: true });
  console.log(`      screenshot ${file}`);
  return file;
}

function step(text) {
  console.log(`    - ${text}`);
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function assertEq(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

function url(p) {
  return BASE_URL + p;
}

/** Path of the current page URL (no origin, no query). */
function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** Go to a page and check the HTTP status (default 200). */
async function visit(page, p, expectStatus = 200) {
  const resp = await page.goto(url(p), { waitUntil: 'load' });
  assert(resp, `no response for GET ${p}`);
  assertEq(resp.status(), expectStatus, `HTTP status of GET ${p}`);
  return resp;
}

/** Submit a form by clicking its submit button and wait for the resulting navigation. */
async function submit(page, formSelector) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(`${formSelector} button[type=submit]`),
  ]);
  return resp;
}

async function login(page, username, password = PASSWORD) {
  await visit(page, '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  return submit(page, 'form[action="/login"]');
}

async function navTexts(page) {
  return page.$$eval('nav.mainnav a', (as) => as.map((a) => a.textContent.trim()));
}

/** The program cards found by /programs?q=name (names only). */
async function searchPrograms(page, name) {
  await visit(page, `/programs?q=${encodeURIComponent(name)}`);
  return page.$$eval('a.program-card h2', (hs) => hs.map((h) => h.textContent.trim()));
}

async function horizontalOverflow(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
}

const CJK = /[\u4e00-\u9fff]/;

/**
 * A fresh browser context (desktop size unless told otherwise) with the step timeout set.
 * The server negotiates the language from Accept-Language and headless Chromium would send en-US,
 * so every context is a Chinese-speaking user's browser (locale zh-CN) unless a case says otherwise.
 */
async function newContext(browser, options = {}) {
  const ctx = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...options,
  });
  ctx.setDefaultTimeout(STEP_TIMEOUT_MS);
  ctx.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  return ctx;
}

// State shared between test cases (case 2 creates what case 5 looks for in the audit log).
const shared = { programName: null, programId: null };

// ---------------------------------------------------------------------------------------------
// Test cases

async function signInFailureAndSuccess(page) {
  step('anonymous GET /programs redirects to the login page');
  await visit(page, '/programs');
  assertEq(pathOf(page), '/login', 'path after GET /programs without a session');
  assertEq(await page.getAttribute('html', 'lang'), 'zh-CN', 'html lang on the login page');
  await shot(page, 'login-page');

  step('wrong password shows an error in Chinese');
  await login(page, 'admin', 'wrong-password');
  assertEq(pathOf(page), '/login', 'path after a failed sign-in');
  const err = page.locator('[data-testid=form-error]');
  await err.waitFor({ state: 'visible' });
  const errText = (await err.textContent()).trim();
  assert(CJK.test(errText), `the sign-in error is not in Chinese: ${JSON.stringify(errText)}`);
  assert(!/[A-Za-z]{3,}/.test(errText), `the sign-in error contains English: ${JSON.stringify(errText)}`);
  assertEq(await page.inputValue('input[name=username]'), 'admin', 'username kept after a failed sign-in');
  await shot(page, 'login-failed');

  step('admin signs in and lands on /programs with the five demo programs');
  await login(page, 'admin');
  assertEq(pathOf(page), '/programs', 'path after sign-in');
  const names = await page.$$eval('a.program-card h2', (hs) => hs.map((h) => h.textContent.trim()));
  assert(names.length >= 5, `expected at least 5 program cards, got ${names.length}: ${names.join(' | ')}`);
  for (const want of ['沪蒙医疗协作', '京蒙', '沪滇', '豫哈', '宁德']) {
    assert(names.some((n) => n.includes(want)), `no program card containing ${want}: ${names.join(' | ')}`);
  }
  assert(await page.isVisible('[data-testid=new-program]'), 'admin does not see the new-program link');
  await shot(page, 'programs-admin');

  step('sign out returns to the login page and /programs needs a session again');
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('form[action="/logout"] button[type=submit]'),
  ]);
  await visit(page, '/programs');
  assertEq(pathOf(page), '/login', 'path of /programs after sign-out');
}

async function adminCreatesProgramAndPairing(page) {
  await login(page, 'admin');
  assertEq(pathOf(page), '/programs', 'path after sign-in');

  step('open the new-program form from the programs page');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=new-program]')]);
  assertEq(pathOf(page), '/programs/new', 'path of the new-program form');

  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  const name = `端到端测试项目 ${stamp}`;
  step(`fill in and save program "${name}"`);
  await page.fill('input[name=name]', name);
  await page.selectOption('select[name=kind]', 'east-west');
  await page.fill('textarea[name=description]', '由浏览器端到端测试创建，用于检查新建项目与结对流程。');
  await page.fill('input[name=start_date]', '2025-01-01');
  await page.fill('input[name=end_date]', '2027-12-31');
  await page.selectOption('select[name=office_institution_id]', { label: '上海市卫生健康委员会' });
  await page.selectOption('select[name=donor_access]', 'read');
  await shot(page, 'program-form-filled');
  await submit(page, 'form[action="/programs"]');
  const m = pathOf(page).match(/^\/programs\/([0-9a-f-]{36})$/);
  assert(m, `after saving, expected /programs/{id}, got ${page.url()}`);
  shared.programName = name;
  shared.programId = m[1];
  assertEq((await page.textContent('h1')).trim(), name, 'program page heading');
  await shot(page, 'program-created');

  step('open the new-pairing form');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=new-pairing]')]);
  assertEq(pathOf(page), `/programs/${shared.programId}/pairings/new`, 'path of the new-pairing form');

  step('choose 上海市第一人民医院 → 宁德市医院, 院包院, two departments');
  await page.selectOption('select[name=donor_id]', { label: '上海市第一人民医院' });
  await page.selectOption('select[name=recipient_id]', { label: '宁德市医院' });
  await page.selectOption('select[name=level]', 'hospital');
  assertEq(
    await page.$eval('select[name=level]', (s) => s.selectedOptions[0].textContent.trim()),
    '院包院',
    'label of level "hospital"',
  );
  const boxes = page.locator('input[type=checkbox][name=departments]');
  assert((await boxes.count()) >= 2, 'fewer than two department checkboxes');
  await boxes.nth(2).check();
  await boxes.nth(3).check();
  await page.fill('input[name=start_date]', '2025-03-01');
  await page.fill('input[name=end_date]', '2027-02-28');
  await shot(page, 'pairing-form-filled');
  await submit(page, `form[action="/programs/${shared.programId}/pairings"]`);
  assertEq(pathOf(page), `/programs/${shared.programId}`, 'path after saving the pairing');

  step('the program page lists the pairing with donor and recipient names');
  const table = page.locator('[data-testid=pairings-table]');
  await table.waitFor({ state: 'visible' });
  const rows = table.locator('tbody tr');
  assertEq(await rows.count(), 1, 'pairing rows in the new program');
  const rowText = await rows.first().innerText();
  assert(rowText.includes('上海市第一人民医院'), `pairing row lacks the donor: ${rowText}`);
  assert(rowText.includes('宁德市医院'), `pairing row lacks the recipient: ${rowText}`);
  assert(rowText.includes('院包院'), `pairing row lacks the level: ${rowText}`);
  assert((await page.textContent('h1')).includes(name), 'program page heading after the pairing');
  await shot(page, 'program-with-pairing');

  step('the programs list, searched by name, shows the new program with one pairing');
  const found = await searchPrograms(page, name);
  assertEq(JSON.stringify(found), JSON.stringify([name]), 'programs found by searching the new name');
  const meta = await page.locator('a.program-card .meta').first().innerText();
  assert(/\b1\b/.test(meta), `program card does not show 1 pairing: ${meta}`);
  await shot(page, 'programs-search-new');
}

async function invalidProgramFormCreatesNothing(page) {
  await login(page, 'admin');
  await visit(page, '/programs/new');
  const name = `无效日期项目 ${Date.now()}`;
  step('submit a program whose start date is after its end date');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=start_date]', '2026-06-01');
  await page.fill('input[name=end_date]', '2026-01-01');
  const resp = await submit(page, 'form[action="/programs"]');
  assert(resp, 'no response to the form submission');
  assertEq(resp.status(), 422, 'HTTP status of the invalid form');
  const err = page.locator('[data-testid=form-error]');
  await err.waitFor({ state: 'visible' });
  const errText = (await err.textContent()).trim();
  assert(CJK.test(errText), `the form error is not in Chinese: ${JSON.stringify(errText)}`);
  step(`form error: ${errText}`);
  assertEq(await page.inputValue('input[name=name]'), name, 'name kept in the re-rendered form');
  assertEq(await page.inputValue('input[name=start_date]'), '2026-06-01', 'start date kept');
  assertEq(await page.inputValue('input[name=end_date]'), '2026-01-01', 'end date kept');
  await shot(page, 'program-form-error');

  step('searching the programs list for that name finds nothing');
  const found = await searchPrograms(page, name);
  assertEq(found.length, 0, `programs found for "${name}"`);
  await shot(page, 'programs-search-empty');
}

async function languageSwitch(page) {
  await login(page, 'admin');
  await visit(page, '/programs');
  step('Chinese by default');
  assertEq(await page.getAttribute('html', 'lang'), 'zh-CN', 'html lang before switching');
  let nav = await navTexts(page);
  assert(nav.includes('项目'), `nav lacks 项目: ${nav.join(' | ')}`);
  assertEq((await page.textContent('[data-testid=lang-switch]')).trim(), 'English', 'switch link text in Chinese');

  step('switch to English');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=lang-switch]')]);
  assertEq(pathOf(page), '/programs', 'path after switching language (stays on the page)');
  assertEq(await page.getAttribute('html', 'lang'), 'en', 'html lang after switching to English');
  nav = await navTexts(page);
  assert(nav.includes('Programs'), `nav lacks Programs: ${nav.join(' | ')}`);
  assert(!nav.includes('项目'), `nav still shows 项目: ${nav.join(' | ')}`);
  assertEq((await page.textContent('[data-testid=lang-switch]')).trim(), '中文', 'switch link text in English');
  await shot(page, 'programs-english');

  step('English sticks across pages (program page)');
  await page.click('a.program-card');
  await page.waitForLoadState('load');
  assertEq(await page.getAttribute('html', 'lang'), 'en', 'html lang on the program page');
  await shot(page, 'program-english');

  step('switch back to Chinese');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=lang-switch]')]);
  assertEq(await page.getAttribute('html', 'lang'), 'zh-CN', 'html lang after switching back');
  nav = await navTexts(page);
  assert(nav.includes('项目'), `nav lacks 项目 after switching back: ${nav.join(' | ')}`);
  assert(!nav.includes('Programs'), `nav still shows Programs: ${nav.join(' | ')}`);
  assertEq((await page.textContent('[data-testid=lang-switch]')).trim(), 'English', 'switch link text back in Chinese');
  await shot(page, 'program-chinese-again');
}

async function auditLogAndPermissions(page, ctx) {
  assert(shared.programId, 'case 2 did not create a program, nothing to look for in the audit log');
  await login(page, 'admin');
  step('admin: /audit lists the creations by admin');
  await visit(page, '/audit?actor=admin&action=create');
  const table = page.locator('[data-testid=audit-table]');
  await table.waitFor({ state: 'visible' });
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.cells, (td) => td.innerText.trim())),
  );
  // Columns: when, who, action, record (entity + short id), changes; labels are in Chinese
  // (新建 = create, 项目 = program, 结对 = pairing).
  const mine = rows.filter((r) => r[1] === 'admin' && r[2] === '新建');
  assert(
    mine.some((r) => r[3].startsWith('项目')),
    `no "create program" entry by admin: ${JSON.stringify(rows.slice(0, 5))}`,
  );
  assert(
    mine.some((r) => r[3].startsWith('结对')),
    `no "create pairing" entry by admin: ${JSON.stringify(rows.slice(0, 5))}`,
  );
  // The record column shows the entity and a shortened id ("01a20204-013…"); the changes column
  // the new values. Either must point at the program case 2 created.
  const ours = mine.filter((r) => {
    if (!r[3].startsWith('项目')) return false;
    const shortId = r[3].replace(/^项目\s*/, '').replace(/…$/, '').trim();
    return (shortId.length >= 8 && shared.programId.startsWith(shortId)) || r[4].includes(shared.programName);
  });
  assert(ours.length === 1, `no "create program" entry for ${shared.programId} (${shared.programName})`);
  await shot(page, 'audit-admin');

  step('admin: unfiltered /audit also shows the entries');
  await visit(page, '/audit');
  const all = await page.locator('[data-testid=audit-table]').innerText();
  assert(all.includes('admin'), 'unfiltered audit log does not mention admin');
  assert(all.includes('新建'), 'unfiltered audit log has no create entry');
  await shot(page, 'audit-all');
  await ctx.clearCookies();

  step('clinician: no 用户管理/审计日志 links in the nav');
  await login(page, 'clinician');
  assertEq(pathOf(page), '/programs', 'clinician lands on /programs');
  const nav = await navTexts(page);
  assert(nav.includes('项目'), `clinician nav lacks 项目: ${nav.join(' | ')}`);
  assert(!nav.includes('用户管理'), `clinician sees 用户管理: ${nav.join(' | ')}`);
  assert(!nav.includes('审计日志'), `clinician sees 审计日志: ${nav.join(' | ')}`);
  assertEq(await page.locator('a[href="/audit"], a[href="/users"]').count(), 0, 'links to /audit or /users');
  assertEq(await page.locator('[data-testid=new-program]').count(), 0, 'new-program link for a clinician');
  await shot(page, 'programs-clinician');

  step('clinician: GET /audit is a 403 page');
  await visit(page, '/audit', 403);
  assertEq(await page.locator('[data-testid=audit-table]').count(), 0, 'audit table shown to a clinician');
  const body = await page.locator('main').innerText();
  assert(CJK.test(body), `the 403 page is not in Chinese: ${JSON.stringify(body)}`);
  await shot(page, 'audit-forbidden-clinician');

  step('clinician: GET /users is a 403 too');
  await visit(page, '/users', 403);
}

async function phoneViewport(page) {
  const check = async (what) => {
    const { scrollWidth, innerWidth } = await horizontalOverflow(page);
    assert(
      scrollWidth <= innerWidth + 1,
      `${what}: horizontal overflow (scrollWidth ${scrollWidth} > innerWidth ${innerWidth})`,
    );
  };
  step('login page at 390x844');
  await visit(page, '/login');
  await check('login page');
  await shot(page, 'phone-login');

  await login(page, 'admin');
  step('programs page at 390x844');
  await check('programs page');
  await shot(page, 'phone-programs');

  step('program page at 390x844');
  const target = shared.programId ? `/programs/${shared.programId}` : null;
  if (target) {
    await visit(page, target);
  } else {
    await page.click('a.program-card');
    await page.waitForLoadState('load');
  }
  await check('program page');
  await shot(page, 'phone-program');

  step('a demo program page with many pairings at 390x844');
  await visit(page, '/programs');
  const href = await page
    .locator('a.program-card', { hasText: '沪蒙医疗协作' })
    .first()
    .getAttribute('href');
  await visit(page, href);
  await check('demo program page');
  await shot(page, 'phone-program-demo');
}

async function printStylesheet(page) {
  await login(page, 'admin');
  const target = shared.programId ? `/programs/${shared.programId}` : null;
  if (target) {
    await visit(page, target);
  } else {
    await page.click('a.program-card');
    await page.waitForLoadState('load');
  }
  step('screen media: the top bar is visible');
  assert(await page.isVisible('header.topbar'), 'top bar hidden on screen');

  step('print media: the top bar, buttons and footer are hidden, content stays');
  await page.emulateMedia({ media: 'print' });
  assert(!(await page.isVisible('header.topbar')), 'top bar still visible in print');
  assert(!(await page.isVisible('[data-testid=lang-switch]')), 'language switch still visible in print');
  assert(!(await page.isVisible('footer.footer')), 'footer still visible in print');
  if ((await page.locator('[data-testid=new-pairing]').count()) > 0) {
    assert(!(await page.isVisible('[data-testid=new-pairing]')), 'new-pairing button still visible in print');
  }
  assert(await page.isVisible('h1'), 'program heading hidden in print');
  await shot(page, 'program-print');
  await page.emulateMedia({ media: 'screen' });
  assert(await page.isVisible('header.topbar'), 'top bar hidden after going back to screen media');
}

// [name, function(page, ctx), extra browser-context options]. Each case gets a fresh context.
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const CASES = [
  ['1 sign-in failure and success', signInFailureAndSuccess],
  ['2 admin creates a program and a pairing', adminCreatesProgramAndPairing],
  ['3 an invalid program form creates nothing', invalidProgramFormCreatesNothing],
  ['4 language switch to English and back', languageSwitch],
  ['5 audit log and clinician permissions', auditLogAndPermissions],
  ['6 phone-sized viewport without horizontal overflow', phoneViewport, PHONE],
  ['7 print stylesheet hides the top bar', printStylesheet],
];

// ---------------------------------------------------------------------------------------------
// Runner

async function main() {
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
  for (const [name, fn, options] of CASES) {
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

function withTimeout(promise, ms, name) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`case "${name}" timed out after ${ms / 1000}s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

main().catch((e) => {
  console.error(e);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
