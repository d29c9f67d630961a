// Browser cases for the program office: dispatch roster, batches and calendar.

import {
  shot,
  step,
  assert,
  assertEq,
  visit,
  login,
  navTexts,
  api,
  apiOk,
  shanghaiDate,
  fixture,
  newExpert,
  newSession,
} from '../lib.mjs';

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

  step('/my/schedule without a linked person shows the empty state (the admin has none; the office is a person now)');
  await ctx.clearCookies();
  await login(page, 'admin');
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

export const CASES = [
  ['12 dispatch roster, batches and week calendar', dispatchRosterAndCalendar],
];
