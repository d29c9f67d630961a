// Browser cases for the program office's home: 待办 (the inbox) counts a KPI report waiting for
// approval, beside 待办 and 指标 in the navigation; the search box finds institutions.

import { shot, step, assert, assertEq, visit, login, pathOf, apiOk, PASSWORD, noOverflow, clickAndWait, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

async function officeInboxCountsKpiReports(page) {
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'office', password: PASSWORD }, undefined, 201);
  const api = await apiOk('GET', '/api/v1/inbox', undefined, token);
  assert(api.counts.kpi_reports_to_review >= 1, `the demo office has no KPI report to approve: ${JSON.stringify(api.counts)}`);

  step('the office signs in and lands on 待办');
  await login(page, 'office');
  assertEq(pathOf(page), '/inbox', 'the office\'s home');
  const badge = await page.getAttribute('[data-testid=nav-inbox]', 'data-count');
  assertEq(Number(badge), api.counts.total, 'the 待办 badge');
  assertEq(Number(await page.getAttribute('[data-testid=nav-kpis]', 'data-count')), api.counts.kpi_reports, 'the 指标 badge');
  const cards = page.locator('[data-testid=inbox-kpi][data-state=submitted]');
  assertEq(await cards.count(), api.counts.kpi_reports_to_review, 'KPI reports to approve on the page');
  const first = await cards.first().innerText();
  assert(first.includes('待您审核') && first.includes('红星医院'), `the KPI card: ${first}`);
  assert(!/[0-9a-f]{8}-[0-9a-f]{4}/.test(await page.locator('main').innerText()), 'no ids on 待办');
  await noOverflow(page, '待办 (office, desk)');
  await shot(page, 'office-inbox-desk');

  step('a card opens the report, with 审核通过 in reach');
  await clickAndWait(page, '[data-testid=inbox-kpi][data-state=submitted] >> nth=0');
  assert(/^\/kpis\/[0-9a-f-]{36}$/.test(pathOf(page)), `the report: ${page.url()}`);
  await shot(page, 'office-inbox-kpi-report');

  step('the search box in the top bar finds an institution by name');
  await visit(page, '/inbox');
  await page.fill('[data-testid=topsearch] input[name=q]', '红星医院');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.press('[data-testid=topsearch] input[name=q]', 'Enter')]);
  assertEq(pathOf(page), '/search', 'the results page');
  const inst = await page.locator('[data-testid=search-institutions]').innerText();
  assert(inst.includes('红星医院'), `institutions found: ${inst}`);
  assertEq(await page.locator('[data-testid=search-consultations]').count(), 0, 'the office sees no consultations (it has the de-identified figures)');
  await shot(page, 'office-search-desk');
  return pathOf(page);
}

async function officeInboxOnPhone(page) {
  await login(page, 'office');
  assertEq(pathOf(page), '/inbox', 'the office\'s home on a phone');
  assert(await page.isVisible('[data-testid=quick-inbox]'), '待办 in reach on the phone');
  await noOverflow(page, '待办 (office, phone)');
  await shot(page, 'office-inbox-phone');
}

export const CASES = [
  ['office-home: 待办 counts the KPI reports waiting for approval (desk)', officeInboxCountsKpiReports, DESK],
  ['office-home: 待办 on a phone', officeInboxOnPhone, PHONE],
];
