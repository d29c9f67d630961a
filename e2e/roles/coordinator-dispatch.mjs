// Browser cases for dispatch planning: a donor coordinator creates a batch and an assignment in
// the pages (the one-place-a-day rule shown at the field), copies a batch; the recipient's
// coordinator confirms a week of days served; the roster and batch list on a phone.

import { shot, step, assert, assertEq, visit, submit, login, noOverflow, apiOk, fixture, shanghaiDate, PASSWORD, PHONE, clickAndWait } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

async function coordinatorPlansABatch(page) {
  await login(page, 'coord-donor');
  step('/dispatch/batches opens on the coordinator\'s program, newest first, with names');
  await visit(page, '/dispatch/batches');
  const rows = page.locator('[data-testid=batch-row]');
  assert((await rows.count()) > 0, 'no batches listed');
  const first = await rows.first().innerText();
  // The demo's newest batch is 豫哈's next one (2027), accepted from the planner.
  assert(/202[67]/.test(first), `newest batch first: ${first}`);
  assert(/医疗队|专家|批次/.test(first), `batch named: ${first}`);
  await shot(page, 'dispatch-batches-desk');

  step('a new batch, every problem at once, then saved');
  await clickAndWait(page, '[data-testid=new-batch]');
  await page.fill('input[name=number]', '0');
  await page.fill('input[name=start_date]', '2027-09-01');
  await page.fill('input[name=end_date]', '2027-06-30');
  await submit(page, '[data-testid=batch-form]');
  const errors = await page.locator('.field-error').count();
  assert(errors >= 2, `number and dates refused at their fields (${errors})`);
  await shot(page, 'dispatch-batch-form-errors');
  const number = String(100 + Math.floor(Math.random() * 800));
  await page.fill('input[name=number]', number);
  // After the demo's accepted 2027 plan (its experts are busy until 2028-03-31).
  await page.fill('input[name=name]', '2028年夏季河南省人民医院援疆医疗队（测试）');
  await page.fill('input[name=start_date]', '2028-06-01');
  await page.fill('input[name=end_date]', '2028-11-30');
  await submit(page, '[data-testid=batch-form]');
  assertEq(await page.locator('[data-testid=saved]').count(), 1, 'saved notice on the roster');
  const batchUrl = new URL(page.url());
  const batchId = batchUrl.searchParams.get('batch');
  assert(batchId, `roster of the new batch: ${page.url()}`);

  step('an assignment: weekly without weekdays is refused at the field, then saved');
  await clickAndWait(page, '[data-testid=new-assignment]');
  const person = await page.$eval('select[name=person_id] option:nth-child(2)', (o) => o.value);
  await page.selectOption('select[name=person_id]', person);
  await page.selectOption('select[name=institution_id]', { index: 1 });
  await page.selectOption('select[name=mode]', 'weekly');
  await page.selectOption('select[name=post]', 'team-leader');
  await submit(page, '[data-testid=assignment-form]');
  assertEq(await page.locator('[data-testid=error-weekdays]').count(), 1, 'weekdays error at the field');
  await page.check('input[name=weekdays][value="2"]');
  await page.check('input[name=weekdays][value="4"]');
  await submit(page, '[data-testid=assignment-form]');
  assertEq(await page.locator('[data-testid=roster-row]').count(), 1, 'one assignment in the new batch');
  await shot(page, 'dispatch-roster-new-batch');

  step('the same expert somewhere else on a Thursday: the one-place-a-day rule at the person');
  await clickAndWait(page, '[data-testid=new-assignment]');
  await page.selectOption('select[name=person_id]', person);
  await page.selectOption('select[name=institution_id]', { index: 1 });
  await page.selectOption('select[name=mode]', 'one-off');
  await page.fill('input[name=start_date]', '2028-07-06');
  await page.fill('input[name=end_date]', '2028-07-06');
  await submit(page, '[data-testid=assignment-form]');
  assertEq(await page.locator('[data-testid=error-person_id]').count(), 1, 'clash at the person');
  const clash = await page.locator('[data-testid=clashes]').innerText();
  assert(clash.includes('2028-06-01'), `the clashing assignment is named: ${clash}`);
  await shot(page, 'dispatch-assignment-clash');

  step('copy the batch: the form with the next number');
  await visit(page, `/dispatch/batches/${batchId}/copy`);
  await shot(page, 'dispatch-batch-copy');
  await page.fill('input[name=start_date]', '2029-06-01');
  await submit(page, '[data-testid=copy-form]');
  assertEq(await page.locator('[data-testid=roster-row]').count(), 1, 'the copy has the assignment');
  const period = await page.locator('[data-testid=roster-row]').first().innerText();
  assert(period.includes('2029-06-01'), `moved to the new dates: ${period}`);
}

async function coordinatorConfirmsAWeek(page) {
  await login(page, 'coord-recipient');
  step('the roster opens on the hospital, with days served on every row');
  await visit(page, '/dispatch');
  assertEq(await page.locator('[data-testid=roster-scope]').count(), 1, 'own-scope note');
  assert((await page.locator('[data-testid=roster-row] [data-testid=days-served]').count()) > 0, 'days served on the roster');
  // The newest rows are next year's planned batch (nothing served yet): the batch on duty today
  // shows the days served.
  const f = await fixture();
  const today = shanghaiDate(0);
  const onDuty = await apiOk('GET', `/api/v1/assignments?institution=${f.hongxing.id}&active_on=${today}&per_page=1`, undefined, f.token);
  assert(onDuty.items.length === 1, `an assignment at 红星医院 on ${today}`);
  await visit(page, `/dispatch?batch=${onDuty.items[0].batch_id}`);
  const days = await page.locator('[data-testid=roster-row] [data-testid=days-served]').allInnerTexts();
  assert(days.length > 0 && days.some((d) => parseInt(d, 10) > 0), `days served on the roster: ${days.join(',')}`);
  await shot(page, 'dispatch-roster-hospital');
  step('last week\'s grid: days checked in wait for confirmation; confirm the week');
  await visit(page, '/dispatch/days');
  await clickAndWait(page, 'a[rel=prev]');
  await page.locator('[data-testid=day-grid]').waitFor();
  await shot(page, 'dispatch-days-grid');
  const before = await page.locator('.day-cell .warn-text').count();
  const firstLeave = page.locator('[data-testid=day-row] select.mark').first();
  await firstLeave.selectOption('leave');
  await clickAndWait(page, '[data-testid=confirm-week]');
  assertEq(await page.locator('[data-testid=saved]').count(), 1, 'saved notice');
  const after = await page.locator('.day-cell .warn-text').count();
  assertEq(after, 0, `every day of the page confirmed (before: ${before})`);
  await shot(page, 'dispatch-days-confirmed');
}

async function rosterOnAPhone(page) {
  await login(page, 'coord-recipient');
  await visit(page, '/dispatch');
  await noOverflow(page, 'roster on a phone');
  await shot(page, 'dispatch-roster-phone');
  await visit(page, '/dispatch/days');
  await noOverflow(page, 'week grid on a phone');
  await shot(page, 'dispatch-days-phone');
  await visit(page, '/dispatch/batches');
  await noOverflow(page, 'batches on a phone');
}

export const CASES = [
  ['D1 a coordinator creates a batch and an assignment in the pages', coordinatorPlansABatch, DESK],
  ['D2 the recipient confirms a week of days served', coordinatorConfirmsAWeek, DESK],
  ['D3 roster, week grid and batches on a phone', rosterOnAPhone, PHONE],
];
