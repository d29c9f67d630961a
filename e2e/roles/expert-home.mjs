// Browser cases for the expert's home: on a phone the expert lands on today (where they are,
// their sessions, the consultations waiting for them) with 待办 and 我的排班 in reach, and
// neither today nor 待办 scrolls sideways.

import { shot, step, assert, assertEq, visit, login, pathOf, apiOk, PASSWORD, noOverflow, clickAndWait, PHONE } from '../lib.mjs';

/** Whether the element is inside the viewport (no scrolling needed). */
async function inViewport(page, selector) {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  });
}

async function expertLandsOnTodayOnPhone(page) {
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'expert', password: PASSWORD }, undefined, 201);
  const today = await apiOk('GET', '/api/v1/today', undefined, token);

  step('the expert signs in on a phone and lands on today');
  await login(page, 'expert');
  assertEq(pathOf(page), '/today', 'the expert\'s home');
  const main = await page.locator('main').innerText();
  assert(main.includes(today.date), `today's date on the page: ${main}`);
  if (today.person) assert(main.includes(today.person.name), `the expert's name: ${main}`);
  for (const a of today.assignments) {
    assert(main.includes(a.assignment.institution_name), `where the expert is today: ${a.assignment.institution_name}`);
  }
  assertEq(await page.locator('[data-testid=today-consultation]').count(), today.inbox.consultations.length, 'consultations waiting on today');

  step('待办 and 我的排班 are in reach without opening the menu or scrolling');
  for (const sel of ['[data-testid=quick-inbox]', '[data-testid=quick-schedule]']) {
    assert(await inViewport(page, sel), `${sel} is not on screen`);
  }
  assert(!(await page.isVisible('nav.mainnav')), 'the full menu stays folded on a phone');
  if (today.inbox.count > 0) {
    assertEq(Number(await page.getAttribute('[data-testid=quick-inbox]', 'data-count')), today.inbox.count, 'the 待办 badge');
  }
  await noOverflow(page, 'today (expert, phone)');
  await shot(page, 'expert-today-phone');

  step('the menu (☰) unfolds the rest of the navigation and the search box');
  await page.click('[data-testid=nav-toggle]');
  assert(await page.isVisible('nav.mainnav a[href="/clinic-sessions"]'), 'the menu shows 出诊');
  assert(await page.isVisible('[data-testid=topsearch] input'), 'the search box in the menu');
  await noOverflow(page, 'the unfolded menu');
  await shot(page, 'expert-menu-phone');

  step('待办 on the phone: cards, no sideways scrolling');
  await clickAndWait(page, '[data-testid=quick-inbox]');
  assertEq(pathOf(page), '/inbox', '待办');
  assertEq(await page.locator('main table').count(), 0, 'no tables on 待办');
  await noOverflow(page, '待办 (expert, phone)');
  await shot(page, 'expert-inbox-phone');
  if (today.inbox.consultations.length > 0) {
    step('a consultation card opens the consultation');
    await clickAndWait(page, '[data-testid=inbox-consultation] >> nth=0');
    assert(/^\/consultations\/[0-9a-f-]{36}$/.test(pathOf(page)), `the consultation: ${page.url()}`);
  }

  step('我的排班 from today (the check-in lives there)');
  await visit(page, '/today');
  await clickAndWait(page, '[data-testid=quick-schedule]');
  assertEq(pathOf(page), '/my/schedule', '我的排班');
  await shot(page, 'expert-schedule-phone');
  return pathOf(page);
}

async function expertTodayOnDesk(page) {
  await login(page, 'expert');
  assertEq(pathOf(page), '/today', 'the expert\'s home on the desk');
  assert(await page.isVisible('[data-testid=nav-today]'), '今日 in the navigation');
  assert(await page.isVisible('[data-testid=nav-inbox]'), '待办 in the navigation');
  await noOverflow(page, 'today (expert, desk)');
  await shot(page, 'expert-today-desk');
}

export const CASES = [
  ['expert-home: an expert on a phone lands on today with 待办 and 我的排班 in reach', expertLandsOnTodayOnPhone, PHONE],
  ['expert-home: today on the desk', expertTodayOnDesk, { viewport: { width: 1366, height: 900 } }],
];
