// Browser cases for the program office's figures: a figure opens to exactly the records it
// counts (de-identified where patients are involved), the dashboard's panels follow the
// drill-down, the national view's bars open their institution, and a start date narrows it all.

import { shot, step, assert, assertEq, visit, login, apiOk, fixture, noOverflow, PHONE, PASSWORD } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** The office's token and its program's indicators (optionally over a period). */
async function officeIndicators(query = '') {
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'office', password: PASSWORD }, undefined, 201);
  const me = await apiOk('GET', '/api/v1/auth/me', undefined, token);
  const values = await apiOk('GET', `/api/v1/programs/${me.program_id}/indicators${query}`, undefined, token);
  return { token, program: me.program_id, values };
}

/** What the page prints in its main part (text, not link addresses). */
async function mainText(page) {
  return page.locator('main').innerText();
}

/** The records page says it is de-identified, labels its columns and prints no address, UUID or code. */
async function assertLabelledRecords(page) {
  const text = await mainText(page);
  assert(!text.includes('/api/v1/'), `records page prints an API address: ${text.slice(0, 400)}`);
  assert(!UUID.test(text), `records page prints a UUID: ${text.match(UUID)}`);
  assert(!/\b\d{2}\.\d{2}\b/.test(text), `records page prints a specialty code: ${text.match(/\b\d{2}\.\d{2}\b/)}`);
  assert(!text.includes('条可见') && (await page.locator('[data-testid=records-partial]').count()) === 0, 'a "visible" note on the office\'s records');
  return text;
}

/** Follows a consultation figure from the dashboard to its records, the office's day. */
async function followConsultationFigure(page, label) {
  const { token, values } = await officeIndicators();
  const consultations = values.find((v) => v.code === 'consultations');
  const all = await apiOk('GET', `${consultations.records_url}&per_page=1`, undefined, token);
  assertEq(all.total, consultations.value, 'API: the consultations figure\'s records_url total');
  // A figure small enough to count every row on one page: a consultation type of the program.
  const part = values
    .filter((v) => v.code.startsWith('consultations-') && v.value > 0 && v.value <= 50)
    .sort((a, b) => b.value - a.value)[0];
  assert(part, 'no consultation type with 1–50 cases in the demo');

  await login(page, 'office');
  step(`${label}: /dashboard shows the consultation figures`);
  await visit(page, '/dashboard');
  const headline = page.locator(`[data-testid=dash-headlines] .stat[data-code="${part.code}"] a`);
  await headline.waitFor({ state: 'visible' });
  const shown = (await headline.innerText()).replace(/,/g, '');
  assertEq(Number(shown), part.value, `the ${part.code} headline`);
  await shot(page, `${label}-dashboard`);

  step(`${label}: the ${part.name} figure (${part.value}) opens to exactly that many de-identified rows`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), headline.click()]);
  const total = await page.locator('[data-testid=records-total]').getAttribute('data-total');
  assertEq(Number(total), part.value, 'records total');
  assertEq(await page.locator('[data-testid=records-table] tbody tr').count(), part.value, 'rows on the records page');
  await page.locator('[data-testid=records-deidentified]').waitFor({ state: 'visible' });
  const text = await assertLabelledRecords(page);
  // The column labels (on a phone each cell carries its label, the header row is hidden).
  const columns = await page.locator('[data-testid=records-table] thead').textContent();
  for (const column of ['日期', '会诊类型', '申请医院', '受邀医院', '状态']) {
    assert(columns.includes(column), `records page lacks the column ${column}`);
  }
  assert(text.includes(part.name.replace('（MDT）', '')) || text.includes('会诊'), 'type labels shown');
  await shot(page, `${label}-records`);

  step(`${label}: the whole consultations figure opens too (${consultations.value}, paged)`);
  await visit(page, '/dashboard');
  const whole = page.locator('[data-testid=dash-headlines] .stat[data-code="consultations"] a');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), whole.click()]);
  assertEq(
    Number(await page.locator('[data-testid=records-total]').getAttribute('data-total')),
    consultations.value,
    'records total of the consultations figure',
  );
  await assertLabelledRecords(page);
  await shot(page, `${label}-records-all`);

  step(`${label}: a figure of other records (new techniques) opens to their list, labelled`);
  await visit(page, '/dashboard');
  const techniques = page.locator('[data-testid=dash-headlines] .stat[data-code="techniques"] a');
  const count = Number((await techniques.innerText()).replace(/,/g, ''));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), techniques.click()]);
  assertEq(Number(await page.locator('[data-testid=records-total]').getAttribute('data-total')), count, 'records total of new techniques');
  await assertLabelledRecords(page);
  await shot(page, `${label}-records-techniques`);
  return page;
}

async function officeFollowsFigureDesk(page) {
  await followConsultationFigure(page, 'figures-desk');
  step('/figures: the consultations count opens its records too');
  await visit(page, '/figures');
  const link = page.locator('[data-testid=figures-consultations-link]');
  const n = Number((await link.innerText()).replace(/,/g, ''));
  await shot(page, 'figures-page');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
  assertEq(Number(await page.locator('[data-testid=records-total]').getAttribute('data-total')), n, 'records of the /figures count');
  await assertLabelledRecords(page);
}

async function officeFollowsFigurePhone(page) {
  await followConsultationFigure(page, 'figures-phone');
  await noOverflow(page, 'the records page on a phone');
  await visit(page, '/dashboard');
  await noOverflow(page, 'the dashboard on a phone');
}

/** Drilling down, every panel follows: the headlines, the KPI panel, the institutions. */
async function drillDownPanelsFollow(page) {
  const f = await fixture();
  await login(page, 'admin');
  step('national view: the KPI panel names 红星医院');
  await visit(page, '/dashboard?program=all');
  const kpisAll = await page.locator('[data-testid=chart-kpis]').innerText();
  await shot(page, 'figures-national');

  step('national view: a bar of the institutions opens that institution');
  const bar = page.locator('[data-testid=chart-institutions] a[data-testid=chart-link]').first();
  await bar.waitFor({ state: 'attached' });
  const title = await bar.locator('title').textContent();
  const name = title.split(':')[0].trim();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), bar.click()]);
  assert(/^\/institutions\/[0-9a-f-]{36}$/.test(new URL(page.url()).pathname), `bar opened ${page.url()}`);
  const h1 = await page.locator('main h1').first().innerText();
  assert(h1.includes(name), `the institution page ${h1} is not the bar's ${name}`);
  await shot(page, 'figures-national-bar-institution');

  step('national view: a region bar drills down (云南 → 昭通 → 大关县); every panel follows');
  await visit(page, '/dashboard?program=all');
  const yunnan = page.locator('[data-testid=chart-regions] a[data-testid=chart-link]', { hasText: '云南' }).first();
  let target = '/dashboard?program=all&region=530624';
  if (await yunnan.count()) {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), yunnan.click()]);
    assert(page.url().includes('region=53'), `the 云南 bar opened ${page.url()}`);
  }
  await visit(page, target);
  const trail = await page.locator('[data-testid=dash-trail]').innerText();
  assert(trail.includes('大关县'), `trail ${trail}`);
  const kpis = await page.locator('[data-testid=chart-kpis]').innerText();
  assert(!kpis.includes(f.hongxing.name), `the KPI panel in 大关县 still shows ${f.hongxing.name}: ${kpis}`);
  const insts = await page.locator('[data-testid=chart-institutions]').innerText();
  assert(!insts.includes(f.hongxing.name), `the institutions panel in 大关县 shows ${f.hongxing.name}`);
  await shot(page, 'figures-drill-daguan');
  if (kpisAll.includes(f.hongxing.name)) step('(the national KPI panel named 红星医院; the county one does not)');

  step('the office drills into its program: the headline figures link to the region\'s records');
  await page.context().clearCookies();
  await login(page, 'office');
  await visit(page, '/dashboard');
  const region = page.locator('[data-testid=chart-regions] a[data-testid=chart-link]').first();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), region.click()]);
  const headline = page.locator('[data-testid=dash-headlines] .stat[data-code="consultations"] a');
  await headline.waitFor({ state: 'visible' });
  const value = Number((await headline.innerText()).replace(/,/g, ''));
  await shot(page, 'figures-office-region');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), headline.click()]);
  assertEq(Number(await page.locator('[data-testid=records-total]').getAttribute('data-total')), value, 'the region\'s consultations');
  await assertLabelledRecords(page);
}

/** A half-year view: the dashboard and the briefing take a start date; the figures follow. */
async function startDate(page) {
  const year = new Date().getFullYear();
  const from = `${year}-01-01`;
  const until = `${year}-06-30`;
  const { token, values } = await officeIndicators(`?from=${from}&until=${until}`);
  const consultations = values.find((v) => v.code === 'consultations');
  const list = await apiOk('GET', `${consultations.records_url}&per_page=1`, undefined, token);
  assertEq(list.total, consultations.value, 'API: the half year\'s consultations');
  await login(page, 'office');
  step(`dashboard ${from} – ${until}`);
  await visit(page, '/dashboard');
  await page.fill('[data-testid=dashboard-filters] input[name=from]', from);
  await page.fill('[data-testid=dashboard-filters] input[name=until]', until);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=dashboard-filters] button[type=submit]')]);
  assertEq(await page.locator('[data-testid=dash-period]').innerText(), `${from} – ${until}`, 'the period shown');
  const headline = page.locator('[data-testid=dash-headlines] .stat[data-code="consultations"] a');
  assertEq(Number((await headline.innerText()).replace(/,/g, '')), consultations.value, 'the half year\'s consultations headline');
  await shot(page, 'figures-half-year-dashboard');
  step('the briefing of the half year');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=dash-briefing]')]);
  assertEq(await page.locator('[data-testid=briefing-from]').inputValue(), from, 'briefing start date');
  const text = await page.locator('[data-testid=briefing]').innerText();
  assert(text.includes('统计期间'), `briefing dateline: ${text.slice(0, 200)}`);
  await shot(page, 'figures-half-year-briefing');
}

export const CASES = [
  ['40 office follows a consultation figure to its de-identified records (desk)', officeFollowsFigureDesk, DESK],
  ['41 office follows a consultation figure to its de-identified records (phone)', officeFollowsFigurePhone, PHONE],
  ['42 dashboard panels follow the drill-down; national bars open their institution', drillDownPanelsFollow, DESK],
  ['43 dashboard and briefing over a half year', startDate, DESK],
];
