// Browser cases for the patient: a session closes for booking once its end time has passed
// (Beijing time), and a full one reads full; on a phone.

import {
  shot,
  step,
  assert,
  assertEq,
  visit,
  submit,
  api,
  apiOk,
  idNumber,
  fixture,
  newExpert,
  newSession,
  noOverflow,
  shanghaiDate,
  PHONE,
} from '../lib.mjs';

/** A session at 红星医院 today from `start` to `end` (Beijing time). */
async function sessionToday(f, expert, start, end, capacity = 5) {
  return apiOk(
    'POST',
    '/api/v1/clinic-sessions',
    {
      expert_id: expert.id,
      institution_id: f.hongxing.id,
      department_id: f.department.id,
      date: shanghaiDate(0),
      start,
      end,
      capacity,
      visit_type: 'expert',
    },
    f.token,
    201,
  );
}

async function endedSessionIsRefusedOnPhone(page) {
  const f = await fixture();
  const expert = await newExpert(f, '司马');
  const ended = await sessionToday(f, expert, '00:00', '00:01');
  step(`fixture: ${expert.name}'s session today ${ended.date} 00:00–00:01 has ended; state ${ended.status}`);
  assertEq(ended.status, 'ended', 'the API says ended');

  step('the API refuses a booking with 409 naming the reason, waitlist or not');
  for (const waitlist of [false, true]) {
    const r = await api('POST', `/api/v1/public/sessions/${ended.id}/bookings`, {
      name: '王秀英',
      phone: '13712345678',
      id_number: idNumber('19580303', '221'),
      waitlist,
    });
    assertEq(r.status, 409, `HTTP status of booking an ended session (waitlist ${waitlist})`);
    assert(r.body.error.message.includes('已结束'), `the reason: ${r.body.error.message}`);
  }

  step('the public search does not offer it');
  await visit(page, `/public?q=${encodeURIComponent(expert.name)}`);
  assertEq(await page.locator(`[data-testid=session-card][data-id="${ended.id}"]`).count(), 0, 'ended session cards');
  await noOverflow(page, '/public');

  step('its page shows it ended, with no booking form');
  await visit(page, `/public/sessions/${ended.id}`);
  assertEq(await page.locator('[data-testid=booking-form]').count(), 0, 'booking forms on an ended session');
  const said = (await page.textContent('[data-testid=availability]')).trim();
  assert(said.includes('已结束'), `availability: ${said}`);
  await noOverflow(page, 'an ended session');
  await shot(page, 'public-session-ended-phone');

  step('a form opened while the session was open, sent after its end: refused in the page with the reason');
  const open = await sessionToday(f, expert, '00:00', '23:59');
  await visit(page, `/public/sessions/${open.id}`);
  const form = '[data-testid=booking-form]';
  await page.fill(`${form} input[name=name]`, '王秀英');
  await page.fill(`${form} input[name=phone]`, '13712345678');
  await page.fill(`${form} input[name=id_number]`, idNumber('19580303', '221'));
  // The coordinator moves the end to 00:01: the session is over before the patient presses the button.
  await apiOk('PATCH', `/api/v1/clinic-sessions/${open.id}`, { date: open.date, start: '00:00', end: '00:01', capacity: 5 }, f.token);
  const resp = await submit(page, form);
  assertEq(resp.status(), 409, 'HTTP status of the page booking an ended session');
  const reason = (await page.textContent('[data-testid=not-bookable]')).trim();
  assert(reason.includes('已结束'), `the page says why: ${reason}`);
  assertEq(await page.locator('[data-testid=booking-form]').count(), 0, 'no form after the refusal');
  await noOverflow(page, 'the refusal');
  await shot(page, 'public-booking-refused-ended-phone');
  const bookings = await apiOk('GET', `/api/v1/clinic-sessions/${open.id}/bookings`, undefined, f.token);
  assertEq(bookings.total, 0, 'bookings of the ended session');
}

async function fullSessionReadsFullOnPhone(page) {
  const f = await fixture();
  const expert = await newExpert(f, '诸葛');
  const session = await newSession(f, expert, 2, 1, 'expert');
  await apiOk('POST', `/api/v1/public/sessions/${session.id}/bookings`, { name: '李建国', phone: '13687654321', id_number: idNumber('19660606', '412') }, undefined, 201);
  const after = await apiOk('GET', `/api/v1/clinic-sessions/${session.id}`, undefined, f.token);
  assertEq(after.status, 'full', 'the API says full');
  step('the public card and page say full and offer the waitlist');
  await visit(page, `/public?q=${encodeURIComponent(expert.name)}`);
  const card = page.locator(`[data-testid=session-card][data-id="${session.id}"]`);
  assert((await card.locator('[data-testid=availability]').innerText()).includes('已满'), 'card says full');
  await visit(page, `/public/sessions/${session.id}`);
  assert((await page.textContent('[data-testid=availability]')).includes('已满'), 'page says full');
  assertEq(await page.locator('[data-testid=waitlist]').count(), 1, 'the waitlist checkbox');
  await noOverflow(page, 'a full session');
  await shot(page, 'public-session-full-phone');
}

export const CASES = [
  ['patient: a booking on an ended session is refused (phone)', endedSessionIsRefusedOnPhone, PHONE],
  ['patient: a full session reads full (phone)', fullSessionReadsFullOnPhone, PHONE],
];
