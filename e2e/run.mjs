// Shanhai (山海) browser end-to-end tests.
//
//   SHANHAI_URL=http://127.0.0.1:18080 SHANHAI_SCREENSHOT_DIR=/tmp/shots node e2e/run.mjs
//
// Plain node script (no test runner): each test case is a named async function, run in sequence
// in its own fresh browser context. Every meaningful step saves a full-page screenshot as
// NN-name.png in SHANHAI_SCREENSHOT_DIR. Ends with "N passed, M failed" and exits non-zero on
// any failure. Expects a freshly started `shanhai serve --demo` (demo password shanhai-demo).

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE_URL = (process.env.SHANHAI_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const SHOT_DIR = process.env.SHANHAI_SCREENSHOT_DIR || path.join(HERE, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PASSWORD = 'shanhai-demo';
const STEP_TIMEOUT_MS = 15_000; // any single Playwright action or navigation
const CASE_TIMEOUT_MS = 120_000; // a whole test case
// SHANHAI_E2E_ONLY=<regex>: run only the cases whose names match (e.g. '^1[34] ').
const ONLY = process.env.SHANHAI_E2E_ONLY ? new RegExp(process.env.SHANHAI_E2E_ONLY) : null;

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

// ---------------------------------------------------------------------------------------------
// Dispatch, clinics and public booking (C2, C3). The demo may hold no dispatch or clinic records,
// so these cases create what they need through the JSON API with an admin token.

/** A JSON API call; answers { status, body }. */
async function api(method, p, body, token) {
  const headers = { 'Accept-Language': 'zh-CN' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetch(url(p), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await resp.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: resp.status, body: json };
}

/** An API call that must answer `expect` (default 200). */
async function apiOk(method, p, body, token, expect = 200) {
  const r = await api(method, p, body, token);
  assert(r.status === expect, `${method} ${p}: expected ${expect}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A date `days` from today in Asia/Shanghai (the server's calendar), YYYY-MM-DD. */
function shanghaiDate(days = 0) {
  const t = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(t);
}

/** A resident ID number (GB 11643) with a correct check digit. */
function idNumber(birth = '19800101', seq = '123', area = '650502') {
  const body = `${area}${birth}${seq}`;
  const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, ch, i) => s + Number(ch) * W[i], 0);
  return body + '10X98765432'[sum % 11];
}

/** The same number with a wrong check digit. */
function badIdNumber(birth, seq) {
  const good = idNumber(birth, seq);
  const wrong = good.endsWith('1') ? '2' : '1';
  return good.slice(0, 17) + wrong;
}

const GIVEN = ['明远', '嘉言', '思齐', '景行', '怀瑾', '致远', '修远', '若谷', '清和', '立德'];
const usedNames = new Set();
/** A synthetic name not used before in this run (and unlike the demo's two- and three-character names). */
function uniqueName(family) {
  for (;;) {
    const n = Math.floor(Math.random() * GIVEN.length * GIVEN.length);
    const name = `${family}${GIVEN[n % GIVEN.length]}${GIVEN[Math.floor(n / GIVEN.length)][0]}`;
    if (!usedNames.has(name)) {
      usedNames.add(name);
      return name;
    }
  }
}

/** Ids the clinic cases share: the admin token, 红星医院 (host), 河南省人民医院 (donor). */
let fixtureCache = null;
async function fixture() {
  if (fixtureCache) return fixtureCache;
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'admin', password: PASSWORD }, undefined, 201);
  const find = async (q) => {
    const page = await apiOk('GET', `/api/v1/institutions?q=${encodeURIComponent(q)}`, undefined, token);
    assert(page.items.length >= 1, `no institution named like ${q}`);
    return page.items[0];
  };
  const hongxing = await find('红星医院');
  const henan = await find('河南省人民医院');
  const depts = await apiOk('GET', `/api/v1/departments?institution=${hongxing.id}&per_page=50`, undefined, token);
  assert(depts.items.length >= 1, '红星医院 has no departments');
  const programs = await apiOk('GET', `/api/v1/programs?q=${encodeURIComponent('豫哈')}`, undefined, token);
  assert(programs.items.length >= 1, 'no 豫哈 program');
  fixtureCache = { token, hongxing, henan, department: depts.items[0], program: programs.items[0] };
  return fixtureCache;
}

/** A new expert of 河南省人民医院 (an academician, so the honours badge shows). */
async function newExpert(f, family = '欧阳', honours = ['院士']) {
  return apiOk(
    'POST',
    '/api/v1/people',
    {
      name: uniqueName(family),
      gender: 'male',
      title: 'chief-physician',
      honours,
      institution_id: f.henan.id,
      specialty_code: f.department.specialty_code,
    },
    f.token,
    201,
  );
}

/** A clinic session at 红星医院 `days` from today. */
async function newSession(f, expert, days, capacity, visitType = 'academician') {
  return apiOk(
    'POST',
    '/api/v1/clinic-sessions',
    {
      expert_id: expert.id,
      institution_id: f.hongxing.id,
      department_id: f.department.id,
      date: shanghaiDate(days),
      start: '09:00',
      end: '11:30',
      capacity,
      visit_type: visitType,
      note: '请携带身份证和既往病历',
    },
    f.token,
    201,
  );
}

async function noOverflow(page, what) {
  const { scrollWidth, innerWidth } = await horizontalOverflow(page);
  assert(scrollWidth <= innerWidth + 1, `${what}: horizontal overflow (scrollWidth ${scrollWidth} > innerWidth ${innerWidth})`);
}

async function patientBooksAndCancelsOnPhone(page) {
  const f = await fixture();
  const expert = await newExpert(f);
  const session = await newSession(f, expert, 2, 2);
  step(`fixture: ${expert.name} holds a clinic at ${f.hongxing.name} on ${session.date}`);

  step('open /public on a phone: Chinese, titled 家门口看名医, no horizontal overflow');
  await visit(page, '/public');
  assertEq(await page.getAttribute('html', 'lang'), 'zh-CN', 'html lang of /public');
  assertEq((await page.textContent('h1')).trim(), '家门口看名医', 'heading of /public');
  await noOverflow(page, '/public');
  await shot(page, 'public-home-phone');

  step('search: region 新疆维吾尔自治区, the expert\'s name');
  await page.selectOption('[data-testid=public-search] select[name=region]', '650000');
  await page.fill('[data-testid=public-search] input[name=q]', expert.name);
  await submit(page, '[data-testid=public-search]');
  const card = page.locator(`[data-testid=session-card][data-id="${session.id}"]`);
  await card.waitFor({ state: 'visible' });
  const cardText = await card.innerText();
  for (const part of [expert.name, '主任医师', '院士', '河南省人民医院', f.hongxing.name, session.date, '余号 2']) {
    assert(cardText.includes(part), `the result card lacks ${part}: ${cardText}`);
  }
  await noOverflow(page, 'search results');
  await shot(page, 'public-results-phone');

  step('open the session and book it with a valid ID number');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), card.click()]);
  assertEq(pathOf(page), `/public/sessions/${session.id}`, 'path of the session page');
  assertEq(await page.locator('[data-testid=waitlist]').count(), 0, 'waitlist checkbox on a session with places');
  const phone = '13912345678';
  const id = idNumber('19850607', '231');
  await page.fill('[data-testid=booking-form] input[name=name]', '王秀兰');
  await page.fill('[data-testid=booking-form] input[name=phone]', phone);
  await page.fill('[data-testid=booking-form] input[name=id_number]', id);
  await noOverflow(page, 'session page');
  await shot(page, 'public-session-form-phone');
  const resp = await submit(page, '[data-testid=booking-form]');
  assertEq(resp.status(), 201, 'HTTP status of a confirmed booking');
  assert(!page.url().includes(phone) && !page.url().includes(id), `phone or ID number in the URL: ${page.url()}`);
  const code = (await page.textContent('[data-testid=booking-code]')).trim();
  assert(/^[2-9A-HJ-NP-Z]{10}$/.test(code), `booking code looks wrong: ${code}`);
  assertEq((await page.textContent('[data-testid=phone-masked]')).trim(), '139****5678', 'masked phone');
  assertEq((await page.textContent('[data-testid=id-masked]')).trim(), `${id.slice(0, 4)}**********${id.slice(14)}`, 'masked ID number');
  assertEq((await page.textContent('[data-testid=name-masked]')).trim(), '王**', 'masked name');
  const html = await page.content();
  assert(!html.includes(id) && !html.includes(phone), 'the result page shows the full phone or ID number');
  await noOverflow(page, 'booking result');
  await shot(page, 'public-booked-phone');
  const left = await apiOk('GET', `/api/v1/public/sessions/${session.id}`);
  assertEq(left.available, 1, 'places left after the booking');

  step('查询/取消预约: look the booking up by code and phone');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=manage-booking]')]);
  assertEq(pathOf(page), '/public/booking', 'path of the lookup page');
  assertEq(await page.inputValue('[data-testid=lookup-form] input[name=booking_code]'), code, 'code prefilled');
  await page.fill('[data-testid=lookup-form] input[name=phone]', phone);
  await submit(page, '[data-testid=lookup-form]');
  assertEq(pathOf(page), '/public/booking', 'the lookup answers on the same path (POST)');
  assert(!page.url().includes(phone), 'phone number in the URL after the lookup');
  assertEq((await page.textContent('[data-testid=booking-status]')).trim(), '已预约', 'status after lookup');
  await noOverflow(page, 'lookup result');
  await shot(page, 'public-lookup-phone');

  step('cancel it');
  await submit(page, '[data-testid=cancel-form]');
  assertEq((await page.textContent('[data-testid=booking-status]')).trim(), '已取消', 'status after cancelling');
  await page.locator('[data-testid=notice]').waitFor({ state: 'visible' });
  assertEq(await page.locator('[data-testid=cancel-form]').count(), 0, 'cancel button on a cancelled booking');
  await shot(page, 'public-cancelled-phone');
  const after = await apiOk('GET', `/api/v1/public/sessions/${session.id}`);
  assertEq(after.available, 2, 'places left after the cancellation');
}

async function badIdNumberShowsFieldError(page) {
  const f = await fixture();
  const expert = await newExpert(f, '司马', []);
  const session = await newSession(f, expert, 3, 1, 'expert');
  await visit(page, `/public/sessions/${session.id}`);
  step('an ID number with a wrong check digit is refused next to the field');
  const bad = badIdNumber('19700315', '512');
  await page.fill('[data-testid=booking-form] input[name=name]', '李建国');
  await page.fill('[data-testid=booking-form] input[name=phone]', '13700001111');
  await page.fill('[data-testid=booking-form] input[name=id_number]', bad);
  const resp = await submit(page, '[data-testid=booking-form]');
  assertEq(resp.status(), 422, 'HTTP status of a bad ID number');
  const err = page.locator('label:has(input[name=id_number]) [data-testid=error-id_number]');
  await err.waitFor({ state: 'visible' });
  const errText = (await err.textContent()).trim();
  assert(errText.includes('校验位'), `the ID error does not mention the check digit: ${errText}`);
  assertEq(await page.locator('[data-testid=error-phone], [data-testid=error-name]').count(), 0, 'errors on the other fields');
  assertEq(await page.inputValue('input[name=name]'), '李建国', 'name kept');
  assertEq(await page.inputValue('input[name=id_number]'), bad, 'ID number kept for correcting');
  await shot(page, 'public-bad-id');
  const still = await apiOk('GET', `/api/v1/public/sessions/${session.id}`);
  assertEq(still.booked, 0, 'bookings after a refused form');

  step('a bad phone number is refused next to its field');
  await page.fill('input[name=phone]', '1234');
  await page.fill('input[name=id_number]', idNumber('19700315', '512'));
  assertEq((await submit(page, '[data-testid=booking-form]')).status(), 422, 'HTTP status of a bad phone');
  await page.locator('[data-testid=error-phone]').waitFor({ state: 'visible' });

  step('in English the error is in English');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=lang-switch]')]);
  assertEq(await page.getAttribute('html', 'lang'), 'en', 'html lang after switching');
  assertEq(pathOf(page), `/public/sessions/${session.id}`, 'path after switching');
  await page.fill('input[name=name]', 'Li Jianguo');
  await page.fill('input[name=phone]', '13700001111');
  await page.fill('input[name=id_number]', bad);
  assertEq((await submit(page, '[data-testid=booking-form]')).status(), 422, 'HTTP status in English');
  const enErr = (await page.textContent('[data-testid=error-id_number]')).trim();
  assert(/check digit/i.test(enErr) && !CJK.test(enErr), `the English error: ${enErr}`);
  await shot(page, 'public-bad-id-english');

  step('a full session offers the waitlist; without ticking it the form says it is full (409)');
  await page.fill('input[name=id_number]', idNumber('19700315', '512'));
  assertEq((await submit(page, '[data-testid=booking-form]')).status(), 201, 'booking the only place');
  await visit(page, `/public/sessions/${session.id}`);
  await page.locator('[data-testid=waitlist]').waitFor({ state: 'visible' });
  await page.fill('input[name=name]', 'Zhao Min');
  await page.fill('input[name=phone]', '13600002222');
  await page.fill('input[name=id_number]', idNumber('19920101', '044'));
  assertEq((await submit(page, '[data-testid=booking-form]')).status(), 409, 'HTTP status when full');
  await page.locator('[data-testid=form-error]').waitFor({ state: 'visible' });
  await page.check('[data-testid=waitlist]');
  assertEq((await submit(page, '[data-testid=booking-form]')).status(), 202, 'HTTP status of joining the waitlist');
  assertEq((await page.textContent('[data-testid=waitlist-position]')).replace(/\s+/g, ' ').trim(), 'Waitlist position 1', 'waitlist position');
  await shot(page, 'public-waitlisted-english');
}

async function coordinatorChecksInAPatient(page) {
  const f = await fixture();
  const expert = await newExpert(f, '上官');
  const session = await newSession(f, expert, 0, 5, 'expert');
  const phone = '13598765432';
  const booking = await apiOk(
    'POST',
    `/api/v1/public/sessions/${session.id}/bookings`,
    { name: '陈桂芳', phone, id_number: idNumber('19620909', '318') },
    undefined,
    201,
  );
  step(`fixture: a session today (${session.date}) with booking ${booking.booking_code}`);

  await login(page, 'coord-recipient');
  const nav = await navTexts(page);
  assert(nav.includes('派驻') && nav.includes('出诊'), `nav lacks 派驻/出诊: ${nav.join(' | ')}`);
  step('/clinic-sessions filtered to 红星医院 lists the session with its counts');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('nav.mainnav a[href="/clinic-sessions"]')]);
  await page.selectOption('[data-testid=clinic-filters] select[name=institution]', f.hongxing.id);
  await submit(page, '[data-testid=clinic-filters]');
  const row = page.locator(`[data-testid=session-row][data-id="${session.id}"]`);
  await row.waitFor({ state: 'visible' });
  const rowText = await row.innerText();
  assert(rowText.includes(expert.name) && rowText.includes(session.date), `session row: ${rowText}`);
  const cells = await row.locator('td.num').allInnerTexts();
  assertEq(JSON.stringify(cells.map((s) => s.trim())), JSON.stringify(['5', '1', '0']), 'capacity / booked / waitlisted');
  await shot(page, 'clinics-list-coordinator');

  step('the session page lists the booking, masked, and checks it in');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), row.locator('[data-testid=session-link]').click()]);
  const brow = page.locator(`[data-testid=booking-row][data-code="${booking.booking_code}"]`);
  await brow.waitFor({ state: 'visible' });
  const browText = await brow.innerText();
  assert(browText.includes('陈**') && browText.includes('135****5432'), `booking row not masked as stored: ${browText}`);
  assert(!browText.includes(phone), 'booking row shows the full phone number');
  assertEq((await brow.locator('[data-testid=booking-status]').textContent()).trim(), '已预约', 'status before check-in');
  await shot(page, 'clinic-session-before-check-in');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), brow.locator('[data-testid=check-in]').click()]);
  assertEq(pathOf(page), `/clinic-sessions/${session.id}`, 'back on the session page after check-in');
  const statusAfter = await page
    .locator(`[data-testid=booking-row][data-code="${booking.booking_code}"] [data-testid=booking-status]`)
    .textContent();
  assertEq(statusAfter.trim(), '已签到', 'status after check-in');
  assertEq(await page.locator(`[data-testid=booking-row][data-code="${booking.booking_code}"] [data-testid=check-in]`).count(), 0, 'check-in button after check-in');
  await shot(page, 'clinic-session-checked-in');
  const lookup = await apiOk('POST', '/api/v1/public/bookings/lookup', { booking_code: booking.booking_code, phone });
  assertEq(lookup.status, 'checked-in', 'status seen by the patient');
}

async function coordinatorPublishesCancelsAndCalls(page) {
  const f = await fixture();
  const expert = await newExpert(f, '诸葛', []);
  // An assignment of the expert at 红星医院, so that the coordinator can choose them.
  const scheme = await apiOk('POST', '/api/v1/dispatch-schemes', { program_id: f.program.id, name: `柔性援疆 ${Date.now()}` }, f.token, 201);
  const batch = await apiOk(
    'POST',
    '/api/v1/batches',
    { program_id: f.program.id, scheme_id: scheme.id, number: 9000 + Math.floor(Math.random() * 999), start_date: shanghaiDate(-30), end_date: shanghaiDate(150) },
    f.token,
    201,
  );
  await apiOk(
    'POST',
    '/api/v1/assignments',
    { batch_id: batch.id, person_id: expert.id, institution_id: f.hongxing.id, department_id: f.department.id, mode: 'stationed', post: 'department-head', start_date: shanghaiDate(-20), end_date: shanghaiDate(140) },
    f.token,
    201,
  );
  await login(page, 'coord-recipient');
  step('/clinic-sessions/new: an end before the start is refused next to the field');
  await visit(page, '/clinic-sessions/new');
  const form = '[data-testid=session-form]';
  await page.selectOption(`${form} select[name=expert_id]`, expert.id);
  await page.selectOption(`${form} select[name=department_id]`, f.department.id);
  await page.fill(`${form} input[name=date]`, shanghaiDate(5));
  await page.fill(`${form} input[name=start]`, '14:00');
  await page.fill(`${form} input[name=end]`, '13:00');
  await page.fill(`${form} input[name=capacity]`, '3');
  const bad = await submit(page, form);
  assertEq(bad.status(), 422, 'HTTP status of an end before the start');
  await page.locator('[data-testid=error-end]').waitFor({ state: 'visible' });
  assertEq(await page.inputValue(`${form} select[name=expert_id]`), expert.id, 'expert kept');
  await shot(page, 'clinic-form-error');

  step('corrected, the session is published');
  await page.fill(`${form} input[name=end]`, '17:00');
  await submit(page, form);
  const m = pathOf(page).match(/^\/clinic-sessions\/([0-9a-f-]{36})$/);
  assert(m, `after publishing, expected /clinic-sessions/{id}, got ${page.url()}`);
  const sessionId = m[1];
  assert((await page.textContent('h1')).includes(expert.name), 'session page heading');

  step('a patient books it; the coordinator cancels the session after a confirmation step');
  const phone = '18811112222';
  const booking = await apiOk('POST', `/api/v1/public/sessions/${sessionId}/bookings`, { name: '刘德明', phone, id_number: idNumber('19550505', '777') }, undefined, 201);
  await visit(page, `/clinic-sessions/${sessionId}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=cancel-session]')]);
  assertEq(pathOf(page), `/clinic-sessions/${sessionId}/cancel`, 'the confirmation step');
  assert((await page.textContent('[data-testid=cancel-affected]')).includes('1'), 'affected count on the confirmation');
  await shot(page, 'clinic-cancel-confirm');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=confirm-cancel]')]);
  assertEq(pathOf(page), `/clinic-sessions/${sessionId}`, 'back on the session after cancelling');
  assertEq((await page.textContent('[data-testid=session-status]')).trim(), '已停诊', 'session status');
  const list = page.locator('[data-testid=to-contact]');
  await list.waitFor({ state: 'visible' });
  assert((await list.innerText()).includes('需联系的患者'), 'the 需联系的患者 heading');
  assert(!(await list.innerText()).includes(phone), 'full phone shown before asking');

  step('显示联系方式 reveals the phone number (POST, audited)');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=reveal-contact]')]);
  assert(!page.url().includes(phone), 'phone number in the URL');
  const revealed = (await page.textContent('[data-testid=contact-revealed]')).trim();
  assert(revealed.includes(phone) && revealed.includes('刘德明'), `revealed contact: ${revealed}`);
  await shot(page, 'clinic-cancelled-contact');
  const li = await page.locator('[data-testid=contact-revealed]').locator('xpath=ancestor::li').getAttribute('id');
  const bookingId = li.replace(/^b-/, '');
  const audit = await apiOk('GET', `/api/v1/audit?entity=booking_contact&entity_id=${bookingId}&actor=coord-recipient`, undefined, f.token);
  assertEq(audit.total, 1, `audit entries for reading booking ${booking.booking_code}'s contact`);
}

async function dispatchRosterAndCalendar(page, ctx) {
  const f = await fixture();
  const scheme = await apiOk('POST', '/api/v1/dispatch-schemes', { program_id: f.program.id, name: `名医行 ${Date.now()}` }, f.token, 201);
  const number = 8000 + Math.floor(Math.random() * 999);
  const batch = await apiOk(
    'POST',
    '/api/v1/batches',
    { program_id: f.program.id, scheme_id: scheme.id, number, name: '春季批', start_date: shanghaiDate(-60), end_date: shanghaiDate(120) },
    f.token,
    201,
  );
  const weekly = await newExpert(f, '欧阳', []);
  const stationed = await newExpert(f, '慕容', ['国务院特殊津贴专家']);
  await apiOk(
    'POST',
    '/api/v1/assignments',
    { batch_id: batch.id, person_id: weekly.id, institution_id: f.hongxing.id, mode: 'weekly', post: 'team-member', weekdays: [2, 4], start_date: shanghaiDate(-50), end_date: shanghaiDate(100) },
    f.token,
    201,
  );
  await apiOk(
    'POST',
    '/api/v1/assignments',
    { batch_id: batch.id, person_id: stationed.id, institution_id: f.hongxing.id, department_id: f.department.id, mode: 'stationed', post: 'executive-director', start_date: shanghaiDate(-50), end_date: shanghaiDate(100) },
    f.token,
    201,
  );
  await login(page, 'office');
  step('/dispatch roster filtered by the program and batch');
  await visit(page, `/dispatch?program=${f.program.id}&batch=${batch.id}`);
  const table = page.locator('[data-testid=roster-table]');
  await table.waitFor({ state: 'visible' });
  const text = await table.innerText();
  for (const part of [weekly.name, stationed.name, '候鸟', '周二、周四', '常驻', '执行主任', `第 ${number} 批`, f.hongxing.name]) {
    assert(text.includes(part), `roster lacks ${part}: ${text}`);
  }
  assertEq(await table.locator('tbody tr').count(), 2, 'roster rows for the batch');
  await shot(page, 'dispatch-roster');

  step('/dispatch/batches lists the batch with its count');
  await visit(page, `/dispatch/batches?program=${f.program.id}`);
  const btext = await page.locator('[data-testid=batches-table]').innerText();
  assert(btext.includes(`第 ${number} 批`) && btext.includes(scheme.name), `batches table: ${btext}`);
  await shot(page, 'dispatch-batches');

  step('/dispatch/calendar for 新疆: the headline and the days on site');
  await visit(page, '/dispatch/calendar?region=650000');
  const headline = (await page.textContent('[data-testid=calendar-headline]')).trim();
  const n = Number((headline.match(/(\d+)/) || [])[1]);
  assert(/^本周在岗区外专家 \d+ 名$/.test(headline) && n >= 2, `headline: ${headline}`);
  const rowOf = (name) => page.locator('[data-testid=calendar-row]', { hasText: name });
  assertEq(await rowOf(weekly.name).locator('.cal-on').count(), 2, 'days on site of the weekly expert (Tue, Thu)');
  assertEq(await rowOf(stationed.name).locator('.cal-on').count(), 7, 'days on site of the stationed expert');
  const counts = await page.locator('tr.cal-counts td').allInnerTexts();
  assertEq(counts.length, 7, 'day columns');
  await shot(page, 'dispatch-calendar');

  step('next week, and a region without experts');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=next-week]')]);
  assert((await page.textContent('[data-testid=calendar-headline]')).includes('该周在岗区外专家'), 'headline of another week');
  await visit(page, '/dispatch/calendar?region=330000');
  assertEq((await page.textContent('[data-testid=calendar-headline]')).trim(), '本周在岗区外专家 0 名', 'headline for 浙江');

  step('/my/schedule without a linked person shows the empty state');
  await visit(page, '/my/schedule');
  await page.locator('[data-testid=schedule-empty]').waitFor({ state: 'visible' });

  step("an expert's account linked to a person sees their assignment and clinics in 我的排班");
  const username = `expert-${Date.now()}`;
  await apiOk(
    'POST',
    '/api/v1/users',
    { username, password: 'expert-password-1', role: 'expert', institution_id: f.henan.id, person_id: weekly.id },
    f.token,
    201,
  );
  await newSession(f, weekly, 1, 10, 'expert');
  await ctx.clearCookies();
  await login(page, username, 'expert-password-1');
  const nav = await navTexts(page);
  assert(nav.includes('我的排班'), `expert nav lacks 我的排班: ${nav.join(' | ')}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('nav.mainnav a[href="/my/schedule"]')]);
  const mine = await page.locator('main').innerText();
  for (const part of [weekly.name, '周二、周四', f.hongxing.name, shanghaiDate(1)]) {
    assert(mine.includes(part), `my schedule lacks ${part}: ${mine}`);
  }
  await shot(page, 'my-schedule');
}

// ---------------------------------------------------------------------------------------------
// Remote consultation and referral (issue 4)

/** The demo expert's person (the account `expert` is linked to a 河南省人民医院 expert). */
async function demoExpert(f) {
  const users = await apiOk('GET', '/api/v1/users?per_page=200', undefined, f.token);
  const account = users.items.find((u) => u.username === 'expert');
  assert(account && account.person_id, 'the demo account "expert" is not linked to a person');
  return apiOk('GET', `/api/v1/people/${account.person_id}`, undefined, f.token);
}

async function clickAndWait(page, selector) {
  const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  return resp;
}

async function stateText(page, testid) {
  return (await page.textContent(`[data-testid=${testid}]`)).trim();
}

async function consultationWithDicom(page, ctx) {
  const f = await fixture();
  const expert = await demoExpert(f);
  const fixturePath = path.join(HERE, 'fixtures', 'ct-synthetic.dcm');

  step('the clinician of 红星医院 sees 会诊 and 转诊 in the navigation');
  await login(page, 'clinician');
  const nav = await navTexts(page);
  assert(nav.includes('会诊') && nav.includes('转诊'), `clinician nav: ${nav.join(' | ')}`);
  await clickAndWait(page, 'nav.mainnav a[href="/consultations"]');
  await page.locator('[data-testid=queue-tabs]').waitFor({ state: 'visible' });
  await shot(page, 'consultation-queue-clinician');

  step('the request form offers 河南省人民医院 (the paired donor) and its experts');
  await clickAndWait(page, '[data-testid=new-consultation]');
  if ((await page.locator('[data-testid=consultation-form]').count()) === 0) {
    await page.selectOption('[data-testid=target-picker] select[name=target]', f.henan.id);
    await submit(page, '[data-testid=target-picker]');
  }
  assertEq(await page.inputValue('[data-testid=target-name]'), f.henan.name, 'target hospital');
  await page.selectOption('select[name=type]', 'imaging');
  await page.selectOption('select[name=urgency]', 'urgent');
  await page.selectOption('select[name=chair_id]', expert.id);
  await page.fill('input[name="patient.name"]', '买买提江');
  await page.selectOption('select[name="patient.sex"]', 'male');
  await page.fill('input[name="patient.age"]', '58');
  await page.fill('textarea[name=case_summary]', '男，58岁，反复咳嗽伴痰中带血2月。胸部CT示右肺上叶占位，约3.2cm，边缘毛刺。');
  await page.fill('textarea[name=question]', '请协助判读胸部CT，明确占位性质并建议下一步诊疗方案。');
  await page.setInputFiles('[data-testid=files-input]', fixturePath);
  await shot(page, 'consultation-request-form');

  step('submitting creates the consultation and stores the CT study with its preview');
  await submit(page, '[data-testid=consultation-form]');
  const m = pathOf(page).match(/^\/consultations\/([0-9a-f-]{36})$/);
  assert(m, `after submitting: ${page.url()}`);
  const id = m[1];
  assertEq(await stateText(page, 'consultation-state'), '已申请', 'state after the request');
  assertEq(await page.locator('[data-testid=attachment][data-kind=dicom]').count(), 1, 'DICOM attachments');
  assertEq(await stateText(page, 'dicom-modality'), 'CT', 'modality');
  const masked = (await page.locator('h1').innerText()).trim();
  assert(!masked.includes('买买提江'), `the patient's name is shown unmasked: ${masked}`);

  step('a renamed text file claiming .dcm is refused with a clear message');
  await page.setInputFiles('[data-testid=upload-form] input[type=file]', {
    name: 'not-really.dcm',
    mimeType: 'application/dicom',
    buffer: Buffer.from('this is a text file, not a DICOM study\n'.repeat(20)),
  });
  const refused = await submit(page, '[data-testid=upload-form]');
  assertEq(refused.status(), 422, 'status of the refused upload');
  const fileError = (await page.textContent('[data-testid=error-file]')).trim();
  assert(fileError.includes('not-really.dcm') && CJK.test(fileError), `file error: ${fileError}`);
  assertEq(await page.locator('[data-testid=attachment]').count(), 1, 'attachments after the refused file');
  await shot(page, 'consultation-fake-dicom-refused');

  step('the expert finds it in the inbox and the queue, and sees the DICOM preview');
  await ctx.clearCookies();
  await login(page, 'expert');
  await visit(page, '/inbox');
  const inboxRow = page.locator(`[data-testid=inbox-consultation][data-id="${id}"]`);
  await inboxRow.waitFor({ state: 'visible' });
  await visit(page, '/consultations');
  await page.locator(`[data-testid=consultation-row][data-id="${id}"]`).waitFor({ state: 'visible' });
  await shot(page, 'consultation-queue-expert');
  await visit(page, '/inbox');
  await clickAndWait(page, `[data-testid=inbox-consultation][data-id="${id}"] [data-testid=inbox-open]`);
  assertEq(pathOf(page), `/consultations/${id}`, 'inbox link');
  const img = page.locator('[data-testid=dicom-preview]');
  await img.waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid=dicom-preview]');
    return el && el.complete;
  });
  const naturalWidth = await img.evaluate((el) => el.naturalWidth);
  assert(naturalWidth > 0, `the DICOM preview did not load (naturalWidth ${naturalWidth})`);
  assertEq(await stateText(page, 'dicom-modality'), 'CT', 'modality seen by the expert');
  assert((await page.locator('[data-testid=chair]').count()) === 1, 'the named expert is marked as lead');
  await shot(page, 'consultation-expert-dicom');

  step('the expert accepts, schedules, holds and signs an opinion');
  assertEq(await page.locator('[data-testid=action-cancel]').count(), 0, 'the expert cannot cancel');
  await clickAndWait(page, '[data-testid=action-accept]');
  assertEq(await stateText(page, 'consultation-state'), '已接受', 'after accept');
  await clickAndWait(page, '[data-testid=action-schedule]');
  assertEq(await stateText(page, 'consultation-state'), '已排期', 'after schedule');
  await clickAndWait(page, '[data-testid=action-hold]');
  assertEq(await stateText(page, 'consultation-state'), '已会诊', 'after hold');
  const opinion = '右肺上叶周围型肺癌可能性大（cT1cN0M0）。建议：1. 增强CT及支气管镜活检明确病理；2. 完善PET-CT分期；3. 病理确诊后MDT讨论手术方案。';
  await page.fill('[data-testid=sign-form] textarea[name=opinion]', opinion);
  await clickAndWait(page, '[data-testid=action-sign]');
  assertEq(await stateText(page, 'consultation-state'), '报告已签发', 'after sign');
  step('signing again is an amendment: the first version stays visible, marked amended');
  await page.fill('[data-testid=sign-form] textarea[name=opinion]', `${opinion}\n补充：如活检困难，可考虑CT引导下经皮肺穿刺。`);
  await clickAndWait(page, '[data-testid=action-sign]');
  assertEq(await page.locator('[data-testid=opinion]').count(), 2, 'opinion versions');
  assertEq(await page.locator('[data-testid=opinion][data-version="1"] [data-testid=amended]').count(), 1, 'v1 marked amended');
  await shot(page, 'consultation-signed');

  step('the clinician reads the signed opinion and closes with a decision');
  await ctx.clearCookies();
  await login(page, 'clinician');
  await visit(page, `/consultations/${id}`);
  const current = (await page.textContent('[data-testid=opinion][data-version="2"] [data-testid=opinion-text]')).trim();
  assert(current.includes('经皮肺穿刺'), `the amended opinion: ${current}`);
  assertEq(await page.locator('[data-testid=action-sign]').count(), 0, 'the clinician cannot sign');
  await page.fill('[data-testid=close-form] textarea[name=decision]', '采纳会诊意见：本院行支气管镜活检，结果回报后申请MDT。');
  await clickAndWait(page, '[data-testid=action-close]');
  assertEq(await stateText(page, 'consultation-state'), '已结束', 'after close');
  assert((await stateText(page, 'decision-text')).includes('支气管镜活检'), 'the decision is on the record');
  await shot(page, 'consultation-closed');

  step('the consultation page fits a phone screen');
  await page.setViewportSize({ width: 390, height: 844 });
  await visit(page, `/consultations/${id}`);
  const { scrollWidth, innerWidth } = await horizontalOverflow(page);
  assert(scrollWidth <= innerWidth + 1, `consultation page overflows on a phone (${scrollWidth} > ${innerWidth})`);
  await shot(page, 'consultation-phone');
}

async function referralBoard(page, ctx) {
  const f = await fixture();

  step('the clinician of 红星医院 refers a patient up to 河南省人民医院');
  await login(page, 'clinician');
  await visit(page, '/referrals');
  await page.locator('[data-testid=referral-board], [data-testid=board-empty]').first().waitFor({ state: 'visible' });
  await clickAndWait(page, '[data-testid=new-referral]');
  await page.selectOption('[data-testid=receiver-picker] select[name=to]', f.henan.id);
  await submit(page, '[data-testid=receiver-picker]');
  await page.selectOption('select[name=direction]', 'up');
  await page.selectOption('select[name=urgency]', 'urgent');
  await page.fill('input[name="patient.name"]', '古丽娜尔');
  await page.selectOption('select[name="patient.sex"]', 'female');
  await page.fill('input[name="patient.age"]', '46');
  await page.fill('textarea[name=reason]', '乳腺癌术后复发，需上级医院评估放疗及靶向治疗方案。');
  await shot(page, 'referral-form');
  await submit(page, '[data-testid=referral-form]');
  const m = pathOf(page).match(/^\/referrals\/([0-9a-f-]{36})$/);
  assert(m, `after submitting: ${page.url()}`);
  const id = m[1];
  assertEq(await stateText(page, 'referral-state'), '已发起', 'state after sending');
  assertEq(await page.locator('[data-testid=arrival-notice]').count(), 0, 'no arrival notice yet');

  step("河南省人民医院's coordinator finds it on the board, accepts it and confirms arrival");
  await ctx.clearCookies();
  await login(page, 'coord-donor');

  step("the coordinator registers a webhook for the hospital's HIS (an internal address and a short secret are refused first)");
  await visit(page, '/webhooks');
  await page.fill('[data-testid=webhook-form] input[name=url]', 'http://2130706433:8080/');
  await page.fill('[data-testid=webhook-form] input[name=secret]', 'a-long-enough-shared-secret');
  const refusedUrl = await submit(page, '[data-testid=webhook-form]');
  assertEq(refusedUrl.status(), 422, 'status for an internal address');
  await page.locator('[data-testid=error-url]').waitFor({ state: 'visible' });
  // .invalid never resolves (RFC 6761): the receiver stays down, and nothing leaves the machine.
  const hookUrl = `http://his.hospital.invalid/his-${Date.now()}`;
  await page.fill('[data-testid=webhook-form] input[name=url]', hookUrl);
  await page.fill('[data-testid=webhook-form] input[name=secret]', 'short-secret-15');
  await page.$eval('[data-testid=webhook-form] input[name=secret]', (el) => el.removeAttribute('minlength'));
  const refusedHook = await submit(page, '[data-testid=webhook-form]');
  assertEq(refusedHook.status(), 422, 'status for a short secret');
  await page.locator('[data-testid=error-secret]').waitFor({ state: 'visible' });
  await page.fill('[data-testid=webhook-form] input[name=secret]', 'a-long-enough-shared-secret');
  await submit(page, '[data-testid=webhook-form]');
  await page.locator('[data-testid=webhook-row]', { hasText: hookUrl }).waitFor({ state: 'visible' });

  await visit(page, '/referrals?direction=up');
  const card = page.locator(`[data-testid=board-col][data-state=created] [data-testid=referral-card][data-id="${id}"]`);
  await card.waitFor({ state: 'visible' });
  await shot(page, 'referral-board-receiver');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), card.click()]);
  await clickAndWait(page, '[data-testid=action-accept]');
  assertEq(await stateText(page, 'referral-state'), '已接收', 'after accept');
  assertEq(await page.locator('[data-testid=action-cancel]').count(), 0, 'the receiver cannot cancel');
  await clickAndWait(page, '[data-testid=action-arrive]');
  assertEq(await stateText(page, 'referral-state'), '患者已到达', 'after arrival');
  await shot(page, 'referral-arrived-receiver');

  step('the webhook page lists the events queued for the HIS (its receiver is down: retrying)');
  await visit(page, '/webhooks');
  const queued = await page.locator('[data-testid=deliveries-table] tbody tr').count();
  assert(queued >= 2, `deliveries listed: ${queued}`);
  await shot(page, 'webhooks');

  step('the sender sees the arrival notice, and the card in the arrived column');
  await ctx.clearCookies();
  await login(page, 'clinician');
  await visit(page, `/referrals/${id}`);
  const notice = (await page.textContent('[data-testid=arrival-notice]')).trim();
  assert(notice.includes('患者已到达') && notice.includes(f.henan.name), `arrival notice: ${notice}`);
  await shot(page, 'referral-arrival-notice');
  await visit(page, '/referrals');
  await page.locator(`[data-testid=board-col][data-state=arrived] [data-testid=referral-card][data-id="${id}"]`).waitFor({ state: 'visible' });
  await shot(page, 'referral-board-sender');
}

// ---------------------------------------------------------------------------------------------
// Capacity building (C6, C7): a technique from introduction to independence, and a mentor's
// apprentices. The recipient coordinator works through the pages; the admin token only looks up
// ids (a donor expert, local staff) and creates a fresh expert so the mentor has no other term.

/** Choose a <select> option by the visible text it contains. */
async function selectByText(page, selector, text) {
  const value = await page.$eval(
    selector,
    (sel, t) => {
      const o = [...sel.options].find((x) => x.textContent.includes(t));
      return o ? o.value : null;
    },
    text,
  );
  assert(value, `no option containing ${text} in ${selector}`);
  await page.selectOption(selector, value);
}

async function localStaff(f, n) {
  const people = await apiOk('GET', `/api/v1/people?institution=${f.hongxing.id}&per_page=50`, undefined, f.token);
  assert(people.items.length >= n, `${f.hongxing.name} has ${people.items.length} people, need ${n}`);
  return people.items.slice(0, n);
}

async function techniqueToIndependence(page) {
  const f = await fixture();
  const expert = await newExpert(f, '司马', []);
  const [local] = await localStaff(f, 1);
  const name = `经皮冠状动脉腔内旋磨术-${Date.now() % 100000}`;
  step(`fixture: donor expert ${expert.name} (河南省人民医院), local staff ${local.name} (${f.hongxing.name})`);

  step('the recipient coordinator opens 能力建设 from the navigation: the techniques list, in Chinese');
  await login(page, 'coord-recipient');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=nav-capacity]')]);
  assertEq(pathOf(page), '/techniques', 'capacity area opens on techniques');
  assertEq((await page.textContent('h1')).trim(), '技术引进', 'heading');
  const tabs = await page.$$eval('[data-testid=capacity-tabs] a', (as) => as.map((a) => a.textContent.trim()));
  assertEq(tabs.join(','), '技术引进,师带徒,教学活动,进修,专科建设,资源', 'capacity tabs');
  await shot(page, 'techniques-list');

  step('an empty search shows the empty state');
  await page.fill('[data-testid=capacity-filters] input[name=q]', '不存在的技术名称');
  await submit(page, '[data-testid=capacity-filters]');
  await page.locator('[data-testid=capacity-empty]').waitFor({ state: 'visible' });

  step('record the new technique: a county gap claim, introduced by the donor expert under the pairing');
  await visit(page, '/techniques/new');
  const form = '[data-testid=capacity-form]';
  await page.fill(`${form} input[name=name]`, name);
  await page.selectOption(`${form} select[name=surgical_grade]`, '4');
  await page.selectOption(`${form} select[name=gap_level]`, 'county');
  await selectByText(page, `${form} select[name=pairing_id]`, '河南省人民医院');
  await page.selectOption(`${form} select[name=expert_id]`, expert.id);
  await page.fill(`${form} input[name=introduced_on]`, shanghaiDate(-30));
  await shot(page, 'technique-form');
  await submit(page, form);
  assert(/^\/techniques\/[0-9a-f-]+$/.test(pathOf(page)), `after create: ${page.url()}`);
  const techniqueUrl = pathOf(page);
  assertEq(await stateText(page, 'technique-stage'), '引进', 'stage after introduction');
  await page.locator('[data-testid=technique-created]').waitFor({ state: 'visible' });
  assertEq(await page.locator('[data-testid=gap-warning]').count(), 0, 'no gap warning for a first record');

  step('log a case performed by the expert (demonstration) and advance to 专家示范');
  const caseForm = '[data-testid=case-form]';
  await page.fill(`${caseForm} input[name=performed_on]`, shanghaiDate(-20));
  await page.selectOption(`${caseForm} select[name=operator_id]`, expert.id);
  await submit(page, caseForm);
  await page.selectOption('[data-testid=stage-form] select[name=stage]', 'demonstrated');
  await page.fill('[data-testid=stage-form] input[name=on]', shanghaiDate(-20));
  await submit(page, '[data-testid=stage-form]');
  assertEq(await stateText(page, 'technique-stage'), '专家示范', 'stage after the demonstration');

  step('try to mark it independent with only the expert\'s case: refused with the rule, nothing changes');
  await page.selectOption('[data-testid=stage-form] select[name=stage]', 'independent');
  const refused = await submit(page, '[data-testid=stage-form]');
  assertEq(refused.status(), 409, 'status of a refused independence');
  const refusal = (await page.textContent('[data-testid=stage-error]')).trim();
  assert(refusal.includes('本院人员'), `refusal message: ${refusal}`);
  assertEq(await stateText(page, 'technique-stage'), '专家示范', 'stage after the refusal');
  await shot(page, 'technique-independent-refused');

  step('a supervised case by local staff (the expert supervising) and the stage 指导下开展');
  await visit(page, techniqueUrl);
  await page.fill(`${caseForm} input[name=performed_on]`, shanghaiDate(-10));
  await page.selectOption(`${caseForm} select[name=operator_id]`, local.id);
  await page.selectOption(`${caseForm} select[name=supervisor_id]`, expert.id);
  await submit(page, caseForm);
  await page.selectOption('[data-testid=stage-form] select[name=stage]', 'supervised');
  await page.fill('[data-testid=stage-form] input[name=on]', shanghaiDate(-10));
  await submit(page, '[data-testid=stage-form]');
  assertEq(await stateText(page, 'technique-stage'), '指导下开展', 'stage after supervision');

  step('an independent case by local staff, then 独立开展 is accepted');
  await page.fill(`${caseForm} input[name=performed_on]`, shanghaiDate(-1));
  await page.selectOption(`${caseForm} select[name=operator_id]`, local.id);
  await submit(page, caseForm);
  await page.selectOption('[data-testid=stage-form] select[name=stage]', 'independent');
  await submit(page, '[data-testid=stage-form]');
  assertEq(await stateText(page, 'technique-stage'), '独立开展', 'stage at the end');

  step('the timeline shows every stage with a date, the case log shows who operated');
  const steps = await page.$$eval('[data-testid=technique-step]', (ls) => ls.map((l) => [l.className, l.innerText]));
  assertEq(steps.length, 4, 'stages shown');
  for (const [cls, text] of steps) assert(cls.includes('done') && /\d{4}-\d{2}-\d{2}/.test(text), `stage not reached: ${text}`);
  assertEq(await page.locator('[data-testid=timeline-event]').count(), 3, 'stage changes in the timeline');
  const rows = await page.$$eval('[data-testid=case-row]', (rs) => rs.map((r) => r.innerText));
  assertEq(rows.length, 3, 'cases logged');
  assert(rows.filter((r) => r.includes('本院人员')).length === 2, `local cases: ${rows}`);
  assert(rows.some((r) => r.includes(expert.name) && r.includes('支援专家')), `the expert's case: ${rows}`);
  await shot(page, 'technique-independent');

  step('the same technique claimed again as a county first names the earlier record');
  await visit(page, '/techniques/new');
  await page.fill(`${form} input[name=name]`, name);
  await page.selectOption(`${form} select[name=gap_level]`, 'county');
  await submit(page, form);
  const warning = (await page.textContent('[data-testid=gap-warning]')).trim();
  assert(warning.includes(f.hongxing.name) && warning.includes(shanghaiDate(-30)), `gap warning: ${warning}`);
  await shot(page, 'technique-gap-warning');

  step('the institution page shows what was built here, linking to the filtered lists');
  await visit(page, `/institutions/${f.hongxing.id}`);
  await page.locator('[data-testid=built-here]').waitFor({ state: 'visible' });
  const built = Number((await page.textContent('[data-testid=built-techniques]')).trim());
  assert(built >= 2, `techniques built at ${f.hongxing.name}: ${built}`);
  await shot(page, 'institution-built-here');
}

async function techniquePageOnPhone(page) {
  const f = await fixture();
  const list = await apiOk('GET', `/api/v1/techniques?institution=${f.hongxing.id}&per_page=1`, undefined, f.token);
  assert(list.items.length === 1, 'no technique at 红星医院');
  await login(page, 'coord-recipient');
  await visit(page, `/techniques/${list.items[0].id}`);
  await noOverflow(page, 'technique page on a phone');
  await shot(page, 'technique-phone');
  await visit(page, '/techniques');
  await noOverflow(page, 'techniques list on a phone');
  await shot(page, 'techniques-list-phone');
}

async function mentorFullAtFourth(page, ctx) {
  const f = await fixture();
  const mentor = await newExpert(f, '诸葛', []);
  const staff = await localStaff(f, 4);
  step(`fixture: mentor ${mentor.name}; apprentices ${staff.map((p) => p.name).join('、')}`);
  await login(page, 'coord-recipient');
  await visit(page, '/mentorships');
  assertEq((await page.textContent('h1')).trim(), '师带徒', 'heading');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=new-record]')]);
  const form = '[data-testid=capacity-form]';
  await page.selectOption(`${form} select[name=mentor_id]`, mentor.id);
  await page.fill(`${form} input[name=term_start]`, shanghaiDate(0));
  await page.fill(`${form} input[name=subject]`, '心血管介入');
  await submit(page, form);
  assert(/^\/mentorships\/[0-9a-f-]+$/.test(pathOf(page)), `after create: ${page.url()}`);
  step('three apprentices in the term are accepted');
  for (const p of staff.slice(0, 3)) {
    await page.selectOption('[data-testid=apprentice-form] select[name=person_id]', p.id);
    await submit(page, '[data-testid=apprentice-form]');
  }
  assertEq(await page.locator('[data-testid=apprentice]').count(), 3, 'apprentices listed');
  step('a fourth is refused with the clear message, and nothing is added');
  await page.selectOption('[data-testid=apprentice-form] select[name=person_id]', staff[3].id);
  const resp = await submit(page, '[data-testid=apprentice-form]');
  assertEq(resp.status(), 409, 'status of the fourth apprentice');
  const msg = (await page.textContent('[data-testid=apprentice-error]')).trim();
  assert(msg.includes('已满额') && msg.includes('3'), `message: ${msg}`);
  assertEq(await page.locator('[data-testid=apprentice]').count(), 3, 'apprentices after the refusal');
  await shot(page, 'mentor-full');
  step('a progress note');
  await page.fill('[data-testid=note-form] textarea[name=note]', '第一周：完成冠脉造影规范化操作带教');
  await submit(page, '[data-testid=note-form]');
  await page.locator('[data-testid=note]').first().waitFor({ state: 'visible' });
  await shot(page, 'mentorship-page');
  step('resources as the platform admin: the demo funding (沪滇, 8300万) totals exactly ¥83,000,000.00');
  await ctx.clearCookies();
  await login(page, 'admin');
  await visit(page, '/funding-items');
  assertEq((await page.textContent('[data-testid=money-total]')).trim(), '¥83,000,000.00', 'funding total');
  const amounts = await page.$$eval('[data-testid=capacity-row] td.num', (tds) => tds.map((t) => t.textContent.trim()));
  assert(amounts.length > 0 && amounts.every((a) => /^¥\d{1,3}(,\d{3})*\.\d{2}$/.test(a)), `amounts: ${amounts}`);
  await shot(page, 'funding-items');
  await visit(page, '/equipment-donations');
  await page.locator('[data-testid=money-total]').waitFor({ state: 'visible' });
  await shot(page, 'equipment-donations');
}

// [name, function(page, ctx), extra browser-context options]. Each case gets a fresh context.
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
async function importWithABadRowThenFixed(page) {
  const f = await fixture();
  const stamp = Date.now() % 1000000;
  const csv = (badDate) =>
    '机构*,类型*,日期*,主题*,地点,线上,时长（分钟）*,参加人次\n' +
    `${f.hongxing.name},教学查房,2025-03-10,导入测试查房-${stamp}-1,示教室,否,60,20\n` +
    `${f.hongxing.name},学术讲座,${badDate},导入测试讲座-${stamp}-2,会议室,否,90,45\n`;
  const upload = async (text) => {
    await page.selectOption('[data-testid=import-kind]', 'teaching-activities');
    await page.setInputFiles('[data-testid=import-file]', {
      name: 'teaching.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(text, 'utf8'),
    });
    return submit(page, '[data-testid=import-form]');
  };

  step('the recipient coordinator opens 数据导入 from the navigation');
  await login(page, 'coord-recipient');
  await page.click('[data-testid=nav-more] > summary');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=nav-import]')]);
  assertEq(pathOf(page), '/import', 'import page');

  step('a file with an impossible date: the report names row 3, column 日期, and nothing is written');
  const resp = await upload(csv('2025-02-30'));
  assertEq(resp.status(), 422, 'dry run with a bad row');
  const errors = await page.$$eval('[data-testid=import-error] td', (tds) => tds.map((td) => td.textContent.trim()));
  assertEq(errors.slice(0, 2).join(','), '3,日期', 'error row and column');
  assert(CJK.test(errors[2]), `the message is in Chinese: ${errors[2]}`);
  assertEq(await page.locator('[data-testid=import-confirm]').count(), 0, 'no confirm button while a row is bad');
  await shot(page, 'import-bad-row');

  step('the fixed file checks clean; confirming imports both rows');
  await upload(csv('2025-03-12'));
  assert((await page.textContent('[data-testid=import-summary]')).includes('新建 2'), 'two new rows');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=import-confirm]')]);
  await page.locator('[data-testid=import-done]').waitFor({ state: 'visible' });
  const found = await apiOk('GET', `/api/v1/teaching-activities?q=${encodeURIComponent(`导入测试讲座-${stamp}`)}`, undefined, f.token);
  assertEq(found.total, 1, 'the imported lecture is listed');
  await shot(page, 'import-done');
}

async function kpiReportSubmittedApprovedLocked(page, ctx) {
  step('the coordinator of 红星医院 opens a report for 2026-Q1 under 豫哈');
  await login(page, 'coord-recipient');
  await visit(page, '/kpis');
  await page.locator('[data-testid=kpi-reports], [data-testid=kpis-empty]').first().waitFor({ state: 'visible' });
  await selectByText(page, '[data-testid=kpi-new-form] select[name=program_id]', '豫哈');
  await page.fill('[data-testid=kpi-period]', '2026-Q1');
  await submit(page, '[data-testid=kpi-new-form]');
  const m = pathOf(page).match(/^\/kpis\/([0-9a-f-]{36})$/);
  assert(m, `after creating: ${page.url()}`);
  const reportPath = pathOf(page);
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'draft', 'state of a new report');

  step('a value that is not a number is refused beside its field; nothing is submitted');
  const satisfaction = '[data-testid=kpi-row][data-code=patient-satisfaction]';
  const stay = '[data-testid=kpi-row][data-code=average-length-of-stay]';
  await page.fill(`${satisfaction} input[name="value:patient-satisfaction"]`, '九十四');
  await page.fill(`${stay} input[name="value:average-length-of-stay"]`, '8.50');
  await page.fill(`${stay} input[name="baseline:average-length-of-stay"]`, '8.92');
  await page.fill(`${stay} input[name="target:average-length-of-stay"]`, '8.80');
  await clickAndWait(page, '[data-testid=kpi-save-submit]');
  const err = page.locator(`${satisfaction} [data-testid=kpi-value-error]`);
  assert(await err.isVisible(), 'the error is shown beside the satisfaction value');
  assert(CJK.test(await err.textContent()), 'the error is in Chinese');
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'draft', 'still a draft');
  await shot(page, 'kpi-value-error');

  step('with a proper value the report is saved and submitted');
  await page.fill(`${satisfaction} input[name="value:patient-satisfaction"]`, '94.5');
  await page.fill(`${satisfaction} input[name="target:patient-satisfaction"]`, '93');
  await clickAndWait(page, '[data-testid=kpi-save-submit]');
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'submitted', 'state after submitting');
  assertEq(await page.locator('[data-testid=kpi-value-input]').count(), 0, 'a submitted report has no inputs');
  assertEq(await page.locator('[data-testid=kpi-approve]').count(), 0, 'the coordinator cannot approve');
  await shot(page, 'kpi-submitted');

  step('the program office approves it; the page shows it locked and read-only');
  await ctx.clearCookies();
  await login(page, 'office');
  await visit(page, '/kpis?state=submitted');
  assert((await page.locator('[data-testid=kpi-report-row]').count()) >= 1, 'submitted reports are listed');
  await visit(page, reportPath);
  await clickAndWait(page, '[data-testid=kpi-approve]');
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'approved', 'state after approval');
  assert(await page.locator('[data-testid=kpi-locked]').isVisible(), 'the lock mark is shown');
  assertEq(await page.locator('[data-testid=kpi-value-input]').count(), 0, 'no inputs on a locked report');
  const values = await page.$$eval('[data-testid=kpi-value]', (tds) => tds.map((t) => t.textContent.trim()));
  assert(values.some((v) => v.startsWith('94.50')), `the approved value is shown exactly: ${values}`);

  step('reopening without a reason is refused beside the reason field');
  await clickAndWait(page, '[data-testid=kpi-reopen]');
  assert(await page.locator('[data-testid=kpi-reason-error]').isVisible(), 'the reason error is shown');
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'approved', 'still approved');
  await shot(page, 'kpi-approved-locked');
}

async function dashboardDrillDownAndBriefing(page, ctx) {
  step('the admin opens the 豫哈 dashboard: headline figures and SVG charts, in Chinese');
  await login(page, 'admin');
  await visit(page, '/dashboard');
  await selectByText(page, '[data-testid=dashboard-filters] select[name=program]', '豫哈');
  await submit(page, '[data-testid=dashboard-filters]');
  const headline = page.locator('[data-testid=dash-headlines] [data-code=consultations] .stat-value');
  const consultations = Number((await headline.textContent()).replace(/,/g, ''));
  assert(consultations > 1000, `豫哈 consultations on the dashboard: ${consultations}`);
  assertEq(await page.locator('[data-testid=dash-headlines] [data-code=workload-outpatients]').count(), 0,
    'no workload card for a program whose experts file no workload reports');
  assert((await page.locator('svg.chart').count()) >= 7, 'trend, activity, five compositions, KPI and drill-down charts');
  assert((await page.locator('[data-testid=chart-trend] svg rect').count()) > 3, 'the trend has columns');
  assert((await page.locator('[data-testid=chart-kpis] svg circle').count()) > 2, 'the KPI chart has its points');
  assert(CJK.test(await page.locator('[data-testid=chart-composition]').textContent()), 'chart labels in Chinese');
  await shot(page, 'dashboard');

  step('the headline figure opens exactly that many records');
  await clickAndWait(page, '[data-testid=dash-headlines] [data-code=consultations] a.stat-value');
  assertEq(pathOf(page), '/records', 'the headline links to its records');
  assertEq(Number(await page.getAttribute('[data-testid=records-total]', 'data-total')), consultations, 'records behind the headline');
  const tableText = await page.locator('[data-testid=records-table]').textContent();
  assert(/已结束|已签发|已会诊/.test(tableText), 'states read as labels, not codes');
  assert(!/\b(closed|signed|routine|difficult-case)\b/.test(tableText), 'no raw codes in the records table');
  await page.goBack({ waitUntil: 'load' });

  step('drill down: the province, then the next level, then an institution and its records');
  const regionLink = page.locator('[data-testid=chart-regions] a.chart-link').first();
  const regionValue = Number(await regionLink.getAttribute('data-value'));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), regionLink.click()]);
  assert(/region=\d{6}/.test(page.url()), `a region was chosen: ${page.url()}`);
  assertEq(await page.locator('[data-testid=dash-trail] a').count(), 1, 'the trail leads back to all regions');
  const inRegion = Number((await headline.textContent()).replace(/,/g, ''));
  assertEq(inRegion, regionValue, 'the region total equals its bar');
  if ((await page.locator('[data-testid=chart-regions] a.chart-link').count()) > 0) {
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.locator('[data-testid=chart-regions] a.chart-link').first().click(),
    ]);
    assertEq(await page.locator('[data-testid=dash-trail] a').count(), 2, 'two levels up in the trail');
  }
  await shot(page, 'dashboard-drilled');
  const institution = page.locator('[data-testid=chart-institutions] a.chart-link').first();
  const institutionValue = Number(await institution.getAttribute('data-value'));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), institution.click()]);
  assertEq(pathOf(page), '/records', 'an institution opens its records');
  assertEq(Number(await page.getAttribute('[data-testid=records-total]', 'data-total')), institutionValue, 'records behind the institution bar');
  assert((await page.locator('[data-testid=records-table] tbody tr').count()) > 0, 'the records are listed');
  await shot(page, 'dashboard-records');

  step('the briefing downloads as a Word file');
  await page.goBack({ waitUntil: 'load' });
  await clickAndWait(page, '[data-testid=dash-briefing]');
  assert(pathOf(page).endsWith('/briefing'), `the briefing page: ${page.url()}`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid=briefing-docx]'),
  ]);
  assert(download.suggestedFilename().endsWith('.docx'), `file name ${download.suggestedFilename()}`);
  const file = await download.path();
  const bytes = readFileSync(file);
  assert(bytes.length > 2000 && bytes[0] === 0x50 && bytes[1] === 0x4b, 'a DOCX is a zip file');
  await shot(page, 'briefing');
}

const CASES = [
  ['1 sign-in failure and success', signInFailureAndSuccess],
  ['2 admin creates a program and a pairing', adminCreatesProgramAndPairing],
  ['3 an invalid program form creates nothing', invalidProgramFormCreatesNothing],
  ['4 language switch to English and back', languageSwitch],
  ['5 audit log and clinician permissions', auditLogAndPermissions],
  ['6 phone-sized viewport without horizontal overflow', phoneViewport, PHONE],
  ['7 print stylesheet hides the top bar', printStylesheet],
  ['8 a patient books on a phone and cancels', patientBooksAndCancelsOnPhone, PHONE],
  ['9 a bad ID number is shown next to its field', badIdNumberShowsFieldError, PHONE],
  ['10 the recipient coordinator checks a patient in', coordinatorChecksInAPatient],
  ['11 a coordinator publishes, cancels and calls the patient', coordinatorPublishesCancelsAndCalls],
  ['12 dispatch roster, batches and week calendar', dispatchRosterAndCalendar],
  ['13 a clinician requests a consultation with a CT study; the expert signs', consultationWithDicom],
  ['14 the referral board: up-referral, acceptance and arrival notice', referralBoard],
  ['15 a technique from introduction to independence; the gap check', techniqueToIndependence],
  ['16 the technique page on a phone', techniquePageOnPhone, PHONE],
  ['17 a fourth apprentice is refused with a clear message', mentorFullAtFourth],
  ['import: a bad row is reported by row and column; the fixed file imports', importWithABadRowThenFixed],
  ['kpis: a coordinator submits a period, the office approves, the page shows it locked', kpiReportSubmittedApprovedLocked],
  ['dashboard: drill down from region to institution to records; the briefing downloads', dashboardDrillDownAndBriefing],
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
