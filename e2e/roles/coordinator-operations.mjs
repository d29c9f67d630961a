// Browser cases for the operations log (手术): the coordinator of 红星医院 logs an operation —
// every mistake at once beside its field, the expert chosen with the type-ahead picker — sees it
// in the list with the count and the demonstration share, and the count on the dashboard; on
// the desk (1366×900) and on the phone.

import { shot, step, assert, assertEq, pathOf, visit, submit, login, fixture, apiOk, noOverflow, pickFrom, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

async function logAnOperation(page, where) {
  const f = await fixture();
  const experts = await apiOk('GET', `/api/v1/people?institution=${f.henan.id}&per_page=5`, undefined, f.token);
  assert(experts.items.length >= 1, '河南省人民医院 has no people');
  const expert = experts.items[0];
  const procedure = `腹腔镜下胆囊切除术（${where}${Date.now() % 100000}）`;
  await login(page, 'coord-recipient');
  await visit(page, '/operations');
  const before = Number((await page.locator('[data-testid=operation-count]').textContent()).trim());
  step(`the list shows ${before} operations`);
  await shot(page, `operations-list-before-${where}`);
  await page.click('[data-testid=new-operation]');
  const form = '[data-testid=operation-form]';
  await page.locator(form).waitFor();
  await page.selectOption(`${form} select[name=outcome]`, '');

  step('submit with four mistakes: no procedure, no grade, no expert, no role, no outcome');
  const bad = await submit(page, form);
  assertEq(bad.status(), 422, 'HTTP status of a form with mistakes');
  for (const field of ['procedure_name', 'grade', 'expert_id', 'expert_role', 'outcome']) {
    const err = page.locator(`${form} [data-testid=error-${field}]`);
    await err.waitFor({ state: 'visible' });
    step(`error at ${field}: ${(await err.textContent()).trim()}`);
  }
  await noOverflow(page, `operation form with errors (${where})`);
  await shot(page, `operations-form-errors-${where}`);

  step(`fill it in; the picker finds ${expert.name}`);
  await page.fill(`${form} input[name=procedure_name]`, procedure);
  await page.fill(`${form} input[name=procedure_code]`, '51.23');
  await page.selectOption(`${form} select[name=grade]`, '3');
  await page.selectOption(`${form} select[name=expert_role]`, 'demonstration');
  await page.selectOption(`${form} select[name=outcome]`, 'success');
  await page.check(`${form} input[name=minimally_invasive]`);
  const label = await pickFrom(page, 'expert_id', expert.name, expert.name, form);
  assert(label.includes('河南省人民医院') && !/[0-9a-f]{8}-/.test(label), `expert label: ${label}`);
  await shot(page, `operations-form-filled-${where}`);
  const ok = await submit(page, form);
  assert(ok.ok(), `saving the operation: ${ok.status()}`);
  assertEq(pathOf(page), '/operations', 'lands on the operations list');
  const card = page.locator('[data-testid=operation]', { hasText: procedure }).first();
  await card.waitFor({ state: 'visible' });
  const text = (await card.textContent()).replace(/\s+/g, ' ');
  step(`card: ${text}`);
  assert(text.includes(expert.name) && text.includes('示教') && text.includes('三级'), `card shows expert, role, grade: ${text}`);
  const after = Number((await page.locator('[data-testid=operation-count]').textContent()).trim());
  assertEq(after, before + 1, 'the count after logging one');
  await noOverflow(page, `operations list (${where})`);
  await shot(page, `operations-list-after-${where}`);

  step('the dashboard counts the operations and states the demonstration share');
  await visit(page, '/dashboard');
  const body = (await page.locator('main').textContent()).replace(/\s+/g, ' ');
  assert(body.includes('示教手术占比'), 'the dashboard shows the demonstration share');
  await noOverflow(page, `dashboard (${where})`);
  const tile = page.getByText('示教手术占比').first();
  await tile.scrollIntoViewIfNeeded();
  await shot(page, `operations-dashboard-${where}`);
}

export const CASES = [
  ['operations: a coordinator logs an operation, sees it listed and counted (desk)', (page) => logAnOperation(page, 'desk'), DESK],
  ['operations: a coordinator logs an operation, sees it listed and counted (phone)', (page) => logAnOperation(page, 'phone'), PHONE],
];
