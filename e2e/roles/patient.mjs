// Browser cases for the patient: public booking on a phone.

import {
  shot,
  step,
  assert,
  assertEq,
  url,
  pathOf,
  visit,
  submit,
  CJK,
  api,
  apiOk,
  idNumber,
  badIdNumber,
  fixture,
  newExpert,
  newSession,
  noOverflow,
  PHONE,
} from '../lib.mjs';

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

export const CASES = [
  ['8 a patient books on a phone and cancels', patientBooksAndCancelsOnPhone, PHONE],
  ['9 a bad ID number is shown next to its field', badIdNumberShowsFieldError, PHONE],
];
