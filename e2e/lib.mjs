// Shanhai (山海) browser end-to-end tests: the helpers every role's cases share.
//
// The cases live in e2e/roles/<role>.mjs (and <role>-<topic>.mjs), one file per role whose day
// they walk through; e2e/run.mjs runs them all. Each case is a named async function, run in its
// own fresh browser context. Every meaningful step saves a full-page screenshot as NN-name.png in
// SHANHAI_SCREENSHOT_DIR. Expects a freshly started `shanhai serve --demo` (demo password
// shanhai-demo).

import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BASE_URL = (process.env.SHANHAI_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
export const SHOT_DIR = process.env.SHANHAI_SCREENSHOT_DIR || path.join(HERE, 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const PASSWORD = 'shanhai-demo';
export const STEP_TIMEOUT_MS = 15_000; // any single Playwright action or navigation
export const CASE_TIMEOUT_MS = 120_000; // a whole test case
// SHANHAI_E2E_ONLY=<regex>: run only the cases whose names match (e.g. '^1[34] ').
export const ONLY = process.env.SHANHAI_E2E_ONLY ? new RegExp(process.env.SHANHAI_E2E_ONLY) : null;

mkdirSync(SHOT_DIR, { recursive: true });
// Screenshots from an earlier run would be mistaken for this run's: remove our NN-name.png files.
for (const f of readdirSync(SHOT_DIR)) {
  if (/^\d{2}-[\w-]+\.png$/.test(f)) rmSync(path.join(SHOT_DIR, f));
}

let shotNo = 0;

/** Full-page screenshot saved as NN-name.png. */
export async function shot(page, name) {
  shotNo += 1;
  const file = `${String(shotNo).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: path.join(SHOT_DIR, file), fullPage: true });
  console.log(`      screenshot ${file}`);
  return file;
}

export function step(text) {
  console.log(`    - ${text}`);
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export function assertEq(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export function url(p) {
  return BASE_URL + p;
}

/** Path of the current page URL (no origin, no query). */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** Go to a page and check the HTTP status (default 200). */
export async function visit(page, p, expectStatus = 200) {
  const resp = await page.goto(url(p), { waitUntil: 'load' });
  assert(resp, `no response for GET ${p}`);
  assertEq(resp.status(), expectStatus, `HTTP status of GET ${p}`);
  return resp;
}

/** Submit a form by clicking its submit button and wait for the resulting navigation. */
export async function submit(page, formSelector) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(`${formSelector} button[type=submit]`),
  ]);
  return resp;
}

export async function login(page, username, password = PASSWORD) {
  await visit(page, '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  return submit(page, 'form[action="/login"]');
}

export async function navTexts(page) {
  return page.$$eval('nav.mainnav a', (as) => as.map((a) => a.textContent.trim()));
}

/** The program cards found by /programs?q=name (names only). */
export async function searchPrograms(page, name) {
  await visit(page, `/programs?q=${encodeURIComponent(name)}`);
  return page.$$eval('a.program-card h2', (hs) => hs.map((h) => h.textContent.trim()));
}

export async function horizontalOverflow(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
}

export const CJK = /[\u4e00-\u9fff]/;

/**
 * A fresh browser context (desktop size unless told otherwise) with the step timeout set.
 * The server negotiates the language from Accept-Language and headless Chromium would send en-US,
 * so every context is a Chinese-speaking user's browser (locale zh-CN) unless a case says otherwise.
 */
export async function newContext(browser, options = {}) {
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
export const shared = { programName: null, programId: null };

/** A JSON API call; answers { status, body }. */
export async function api(method, p, body, token) {
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
export async function apiOk(method, p, body, token, expect = 200) {
  const r = await api(method, p, body, token);
  assert(r.status === expect, `${method} ${p}: expected ${expect}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A date `days` from today in Asia/Shanghai (the server's calendar), YYYY-MM-DD. */
export function shanghaiDate(days = 0) {
  const t = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(t);
}

/** A resident ID number (GB 11643) with a correct check digit. */
export function idNumber(birth = '19800101', seq = '123', area = '650502') {
  const body = `${area}${birth}${seq}`;
  const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, ch, i) => s + Number(ch) * W[i], 0);
  return body + '10X98765432'[sum % 11];
}

/** The same number with a wrong check digit. */
export function badIdNumber(birth, seq) {
  const good = idNumber(birth, seq);
  const wrong = good.endsWith('1') ? '2' : '1';
  return good.slice(0, 17) + wrong;
}

const GIVEN = ['明远', '嘉言', '思齐', '景行', '怀瑾', '致远', '修远', '若谷', '清和', '立德'];

const usedNames = new Set();

/** A synthetic name not used before in this run (and unlike the demo's two- and three-character names). */
export function uniqueName(family) {
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

export async function fixture() {
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
export async function newExpert(f, family = '欧阳', honours = ['院士']) {
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
export async function newSession(f, expert, days, capacity, visitType = 'academician') {
  return apiOk(
    'POST',
    '/api/v1/clinic-sessions',
    {
      expert_id: expert.id,
      institution_id: f.hongxing.id,
      department_id: f.department.id,
      date: shanghaiDate(days),
      start: '09:00',
      end: days === 0 ? '23:59' : '11:30',
      capacity,
      visit_type: visitType,
      note: '请携带身份证和既往病历',
    },
    f.token,
    201,
  );
}

export async function noOverflow(page, what) {
  const { scrollWidth, innerWidth } = await horizontalOverflow(page);
  assert(scrollWidth <= innerWidth + 1, `${what}: horizontal overflow (scrollWidth ${scrollWidth} > innerWidth ${innerWidth})`);
}

/** The demo expert's person (the account `expert` is linked to a 河南省人民医院 expert). */
export async function demoExpert(f) {
  const users = await apiOk('GET', '/api/v1/users?per_page=200', undefined, f.token);
  const account = users.items.find((u) => u.username === 'expert');
  assert(account && account.person_id, 'the demo account "expert" is not linked to a person');
  return apiOk('GET', `/api/v1/people/${account.person_id}`, undefined, f.token);
}

export async function clickAndWait(page, selector) {
  const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  return resp;
}

export async function stateText(page, testid) {
  return (await page.textContent(`[data-testid=${testid}]`)).trim();
}

/** Choose a <select> option by the visible text it contains. */
export async function selectByText(page, selector, text) {
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

export async function localStaff(f, n) {
  const people = await apiOk('GET', `/api/v1/people?institution=${f.hongxing.id}&per_page=50`, undefined, f.token);
  assert(people.items.length >= n, `${f.hongxing.name} has ${people.items.length} people, need ${n}`);
  return people.items.slice(0, n);
}

// [name, function(page, ctx), extra browser-context options]. Each case gets a fresh context.
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

export function withTimeout(promise, ms, name) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`case "${name}" timed out after ${ms / 1000}s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Choose in a type-ahead picker (templates/picker.html): type `typed` into the text box of the
 * field `name` (inside `scope`, a selector, if given), wait for a match whose label contains
 * `text` (default: the typed text) and click it. Returns the chosen label.
 */
export async function pickFrom(page, name, typed, text = typed, scope = '') {
  const box = page.locator(`${scope} [data-testid="pick-${name}"]`.trim());
  await box.click();
  await box.fill(typed);
  const option = page.locator(`${scope} #f-${name}-list [role=option]`.trim(), { hasText: text }).first();
  await option.waitFor({ state: 'visible' });
  const label = (await option.textContent()).trim();
  await option.click();
  return label;
}
