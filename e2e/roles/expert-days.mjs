// Browser case for an expert's days served: check in for today from a phone in one tap, and see
// the days served rise on the schedule, the roster and the program dashboard.

import { shot, step, assert, assertEq, visit, login, noOverflow, apiOk, newContext, PASSWORD, PHONE, clickAndWait } from '../lib.mjs';

const number = (s) => parseInt(String(s).replace(/[^\d]/g, ''), 10);

async function workDays(token, program) {
  const values = await apiOk('GET', `/api/v1/programs/${program}/indicators`, undefined, token);
  return values.find((v) => v.code === 'work-days').value;
}

async function expertChecksIn(page, ctx) {
  const { token: expertToken } = await apiOk('POST', '/api/v1/auth/token', { username: 'expert', password: PASSWORD }, undefined, 201);
  const { token: officeToken } = await apiOk('POST', '/api/v1/auth/token', { username: 'office', password: PASSWORD }, undefined, 201);
  const today = await apiOk('GET', '/api/v1/me/today', undefined, expertToken);
  assert(today && today.assignment, 'the demo expert has an assignment running today');
  const a = today.assignment;
  const program = a.program_id;
  const before = await workDays(officeToken, program);
  assert(before > 0, `work-days above zero before: ${before}`);

  await login(page, 'expert');
  step('/my/schedule shows where the expert is today and the check-in button');
  await visit(page, '/my/schedule');
  await noOverflow(page, 'schedule on a phone');
  const card = page.locator('[data-testid=today-duty]');
  await card.waitFor();
  const servedBefore = number(await page.locator('[data-testid=today-days-served]').innerText());
  assertEq(servedBefore, a.days_served, 'days served on the card');
  await shot(page, 'expert-schedule-phone');
  if (today.checked_in) throw new Error('already checked in today: run against a fresh demo');
  step('one tap: checked in');
  await clickAndWait(page, '[data-testid=check-in]');
  await page.locator('[data-testid=checked-in]').waitFor();
  const servedAfter = number(await page.locator('[data-testid=today-days-served]').innerText());
  assertEq(servedAfter, servedBefore + 1, 'days served rose on the schedule');
  await noOverflow(page, 'schedule after check-in');
  await shot(page, 'expert-checked-in-phone');

  step('the roster row shows the new count');
  await visit(page, `/dispatch?batch=${a.batch_id}&program=${program}&q=${encodeURIComponent(a.person_name)}`);
  const cell = await page.locator('[data-testid=roster-row] [data-testid=days-served]').first().innerText();
  assertEq(number(cell.split(/\s/)[0]), servedBefore + 1, 'days served on the roster');
  await noOverflow(page, 'roster on a phone');
  await shot(page, 'expert-roster-phone');

  step('the program dashboard (office, desk) counts it in 服务天数');
  const after = await workDays(officeToken, program);
  assertEq(after, before + 1, 'work-days rose by one');
  const desk = await newContext(ctx.browser(), { viewport: { width: 1366, height: 900 } });
  try {
    const office = await desk.newPage();
    await login(office, 'office');
    await visit(office, '/dashboard');
    const stat = office.locator('[data-code="work-days"] .stat-value');
    const shown = number(await stat.innerText());
    assertEq(shown, after, 'dashboard 服务天数');
    await shot(office, 'dashboard-work-days');
  } finally {
    await desk.close();
  }
}

export const CASES = [['E1 an expert checks in on a phone and the days served rise everywhere', expertChecksIn, PHONE]];
