// Browser cases for a coordinator's clinic day (红星医院): check-in, no-show and undo each ask
// first; several patients checked in at once; a published session changed; a week copied. On
// the desk (1366×900) and on a phone.

import {
  shot,
  step,
  assert,
  assertEq,
  visit,
  submit,
  login,
  apiOk,
  idNumber,
  fixture,
  newExpert,
  newSession,
  noOverflow,
  shanghaiDate,
  clickAndWait,
  PHONE,
} from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

/** A session today at 红星医院 with `n` bookings; answers the session and the booking codes. */
async function dayWithBookings(f, family, n) {
  const expert = await newExpert(f, family, []);
  const session = await newSession(f, expert, 0, 10, 'expert');
  const names = ['陈桂芳', '刘建军', '赵秀兰', '孙志强', '周玉梅'];
  const codes = [];
  // Distinct ID numbers within the session (one booking per ID number per session): a random
  // base for the run, then consecutive sequence numbers.
  const base = 300 + Math.floor(Math.random() * 600);
  for (let i = 0; i < n; i += 1) {
    const b = await apiOk(
      'POST',
      `/api/v1/public/sessions/${session.id}/bookings`,
      { name: names[i], phone: `1390000${String(Math.floor(Math.random() * 9000) + 1000)}`, id_number: idNumber('19620909', String(base + i)) },
      undefined,
      201,
    );
    codes.push(b.booking_code);
  }
  return { expert, session, codes };
}

const row = (page, code) => page.locator(`[data-testid=booking-row][data-code="${code}"]`);
const statusOf = async (page, code) => (await row(page, code).locator('[data-testid=booking-status]').innerText()).trim();

async function clinicDay(page, phone) {
  const f = await fixture();
  const { session, codes } = await dayWithBookings(f, phone ? '欧阳' : '上官', 4);
  const tag = phone ? 'phone' : 'desk';
  step(`fixture: a session today ${session.date} with ${codes.length} bookings`);
  await login(page, 'coord-recipient');
  await visit(page, `/clinic-sessions/${session.id}`);
  if (phone) await noOverflow(page, 'the session page on a phone');
  await shot(page, `clinic-day-${tag}`);

  step('check-in asks first: the confirm step names the patient; confirming checks in');
  await row(page, codes[0]).locator('[data-testid=check-in]').click();
  const pop = row(page, codes[0]).locator('[data-testid=confirm-check-in]');
  await pop.waitFor({ state: 'visible' });
  if (phone) await noOverflow(page, 'the confirm step on a phone');
  await shot(page, `clinic-confirm-check-in-${tag}`);
  await clickAndWait(page, `[data-testid=booking-row][data-code="${codes[0]}"] [data-testid=confirm-check-in]`);
  assertEq(await statusOf(page, codes[0]), '已签到', 'after check-in');
  assert((await page.textContent('[data-testid=notice]')).includes('已签到'), 'a confirmation after check-in');

  step('undo the check-in (asks first): confirmed again');
  await row(page, codes[0]).locator('[data-testid=undo]').click();
  await clickAndWait(page, `[data-testid=booking-row][data-code="${codes[0]}"] [data-testid=confirm-undo]`);
  assertEq(await statusOf(page, codes[0]), '已预约', 'after undo');

  step('no-show asks first, and can be undone too');
  await row(page, codes[3]).locator('[data-testid=no-show]').click();
  await row(page, codes[3]).locator('[data-testid=confirm-no-show]').waitFor({ state: 'visible' });
  if (phone) await noOverflow(page, 'the no-show confirm step on a phone');
  await clickAndWait(page, `[data-testid=booking-row][data-code="${codes[3]}"] [data-testid=confirm-no-show]`);
  assertEq(await statusOf(page, codes[3]), '爽约', 'after no-show');
  assertEq(await row(page, codes[3]).locator('[data-testid=undo]').count(), 1, 'an undo for the no-show');

  step('bulk check-in: tick three, check them in at once');
  for (const code of codes.slice(0, 3)) await row(page, code).locator('[data-testid=pick]').check();
  await page.click('[data-testid=bulk-check-in]');
  await page.locator('[data-testid=confirm-bulk-check-in]').waitFor({ state: 'visible' });
  if (phone) await noOverflow(page, 'the bulk confirm step on a phone');
  await shot(page, `clinic-bulk-confirm-${tag}`);
  await clickAndWait(page, '[data-testid=confirm-bulk-check-in]');
  for (const code of codes.slice(0, 3)) assertEq(await statusOf(page, code), '已签到', `${code} after bulk check-in`);
  const notice = (await page.textContent('[data-testid=notice]')).trim();
  assert(notice.includes('3'), `bulk notice: ${notice}`);
  if (phone) await noOverflow(page, 'the session page after bulk check-in');
  await shot(page, `clinic-bulk-done-${tag}`);
  const audit = await apiOk('GET', `/api/v1/audit?entity=booking&per_page=100`, undefined, f.token);
  assert(JSON.stringify(audit).includes('checked-in'), 'check-ins are audited');

  step('change the published session: capacity not below the bookings, said at the field');
  await clickAndWait(page, '[data-testid=edit-session]');
  if (phone) await noOverflow(page, 'the change form');
  await page.fill('[data-testid=edit-form] input[name=capacity]', '2');
  const bad = await submit(page, '[data-testid=edit-form]');
  assertEq(bad.status(), 422, 'capacity below the bookings');
  assert((await page.textContent('[data-testid=error-capacity]')).length > 0, 'error beside capacity');
  await shot(page, `clinic-edit-error-${tag}`);
  await page.fill('[data-testid=edit-form] input[name=capacity]', '12');
  await page.fill('[data-testid=edit-form] textarea[name=note]', '门诊楼3楼5诊室');
  await submit(page, '[data-testid=edit-form]');
  assert((await page.textContent('[data-testid=notice]')).includes('修改'), 'a confirmation after the change');
  const changed = await apiOk('GET', `/api/v1/clinic-sessions/${session.id}`, undefined, f.token);
  assertEq(changed.capacity, 12, 'capacity changed');
  assertEq(changed.booked, 4, 'bookers keep their bookings');

  step('in English: labels, states and actions translated');
  await visit(page, `/clinic-sessions/${session.id}?lang=en`);
  const actions = await page.locator('[data-testid=bookings-table] thead, [data-testid=booking-status], [data-testid=undo]').allInnerTexts();
  assert(!actions.some((t) => /[\u4e00-\u9fff]/.test(t)), `Chinese in the English bookings list: ${actions.join(' | ')}`);
  await shot(page, `clinic-day-en-${tag}`);
}

async function copyWeek(page, phone) {
  const f = await fixture();
  const tag = phone ? 'phone' : 'desk';
  const expert = await newExpert(f, phone ? '慕容' : '东方', []);
  // Two sessions in a week that is clear of others by this expert (12 and 13 weeks ahead).
  const weeks = phone ? 13 : 12;
  const s1 = await newSession(f, expert, weeks * 7, 10, 'expert');
  const s2 = await newSession(f, expert, weeks * 7 + 1, 10, 'expert');
  step(`fixture: ${expert.name} holds sessions on ${s1.date} and ${s2.date}`);
  await login(page, 'coord-recipient');
  await visit(page, '/clinic-sessions');
  if (phone) await noOverflow(page, 'the clinics list on a phone');
  await shot(page, `clinics-list-${tag}`);
  await clickAndWait(page, '[data-testid=copy-week]');
  const form = '[data-testid=copy-week-form]';
  await page.selectOption(`${form} select[name=institution_id]`, f.hongxing.id).catch(() => {});
  await page.fill(`${form} input[name=from_week]`, s1.date);
  await page.fill(`${form} input[name=to_week]`, s1.date);
  const bad = await submit(page, form);
  assertEq(bad.status(), 422, 'copying a week onto itself');
  assert((await page.textContent('[data-testid=error-to_week]')).length > 0, 'error beside the target week');
  if (phone) await noOverflow(page, 'the copy form');
  await shot(page, `clinic-copy-week-error-${tag}`);
  await page.fill(`${form} input[name=to_week]`, shanghaiDate((weeks + 2) * 7));
  await submit(page, form);
  const notice = (await page.textContent('[data-testid=notice]')).trim();
  assert(/已复制 \d+ 场/.test(notice), `copy notice: ${notice}`);
  const copies = await apiOk('GET', `/api/v1/clinic-sessions?expert=${expert.id}&from=${shanghaiDate((weeks + 1) * 7)}`, undefined, f.token);
  assertEq(copies.total, 2, `copies of ${expert.name}'s two sessions`);
  if (phone) await noOverflow(page, 'the copied week');
  await shot(page, `clinic-week-copied-${tag}`);
}

export const CASES = [
  ['coordinator: a clinic day with confirm steps, undo and bulk check-in (desk)', (page) => clinicDay(page, false), DESK],
  ['coordinator: a clinic day with confirm steps, undo and bulk check-in (phone)', (page) => clinicDay(page, true), PHONE],
  ['coordinator: copy a week of sessions (desk)', (page) => copyWeek(page, false), DESK],
  ['coordinator: copy a week of sessions (phone)', (page) => copyWeek(page, true), PHONE],
];
