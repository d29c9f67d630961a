// Browser cases for a coordinator's forms: every mistake at once beside its field, the type-ahead
// picker that finds a person by part of the name, and the confirmation after a save — on the
// desk (1366×900) and on the phone.

import { shot, step, assert, assertEq, pathOf, visit, submit, login, fixture, apiOk, noOverflow, pickFrom, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

async function threeMistakesThenPickAndSave(page, where) {
  const f = await fixture();
  const staff = await apiOk('GET', `/api/v1/people?institution=${f.hongxing.id}&per_page=5`, undefined, f.token);
  assert(staff.items.length >= 1, `${f.hongxing.name} has no staff`);
  const trainee = staff.items[0];
  await login(page, 'coord-recipient');
  await visit(page, '/placements/new');
  const form = '[data-testid=capacity-form]';
  await page.locator(form).waitFor();

  step('submit the placement form with three mistakes: no trainee, no host hospital, no subject');
  const bad = await submit(page, form);
  assertEq(bad.status(), 422, 'HTTP status of a form with three mistakes');
  for (const field of ['person_id', 'host_institution_id', 'subject']) {
    const err = page.locator(`${form} [data-testid=error-${field}]`);
    await err.waitFor({ state: 'visible' });
    const text = (await err.textContent()).trim();
    assert(text.length > 0, `empty error at ${field}`);
    step(`error at ${field}: ${text}`);
  }
  assertEq(await page.locator(`${form} .field-error`).count(), 3, 'field errors shown');
  await noOverflow(page, `placement form with errors (${where})`);
  await shot(page, `forms-three-errors-${where}`);

  step(`the picker finds ${trainee.name} by typing part of the name`);
  const part = [...trainee.name].slice(1).join('') || trainee.name;
  const box = page.locator(`${form} [data-testid="pick-person_id"]`);
  await box.click();
  await box.fill(part);
  const option = page.locator(`${form} .picker-list [role=option]`, { hasText: trainee.name }).first();
  await option.waitFor({ state: 'visible' });
  await shot(page, `forms-picker-open-${where}`);
  await option.click();
  assertEq(await page.inputValue(`${form} input[type=hidden][name=person_id]`), trainee.id, 'chosen person id');
  const label = await box.inputValue();
  assert(label.startsWith(trainee.name) && !/[0-9a-f]{8}-/.test(label), `picker label: ${label}`);

  step('a host hospital by keyboard: type, ↓, Enter');
  const host = page.locator(`${form} [data-testid="pick-host_institution_id"]`);
  await host.click();
  await host.fill('河南省人民');
  await page.locator(`${form} .picker-list [role=option]`, { hasText: '河南省人民医院' }).first().waitFor({ state: 'visible' });
  await host.press('Enter');
  assert((await host.inputValue()).startsWith('河南省人民医院'), `host chosen: ${await host.inputValue()}`);
  await page.fill(`${form} input[name=subject]`, '心血管介入进修');
  const ok = await submit(page, form);
  assert(ok.ok(), `saving the placement: ${ok.status()}`);
  assertEq(pathOf(page), '/placements', 'lands on the placements list');
  const flash = page.locator('[data-testid=flash]');
  await flash.waitFor({ state: 'visible' });
  assertEq((await flash.textContent()).trim(), '已保存。', 'confirmation after the save');
  assert(!page.url().includes('saved='), `the address keeps ?saved: ${page.url()}`);
  await shot(page, `forms-saved-${where}`);
}

async function mentorPickerFollowsDepartment(page) {
  await login(page, 'coord-recipient');
  await visit(page, '/mentorships/new');
  const form = '[data-testid=capacity-form]';
  step('choose the department 消化医学中心 (消化内科专业): the mentor picker offers only its specialty');
  await pickFrom(page, 'department_id', '消化', '消化医学中心', form);
  const box = page.locator(`${form} [data-testid="pick-mentor_id"]`);
  await box.click();
  const options = page.locator(`${form} #f-mentor_id-list [role=option]`);
  await options.first().waitFor({ state: 'visible' });
  const labels = await options.allTextContents();
  step(`offered: ${labels.slice(0, 3).join(' | ')} … (${labels.length})`);
  assert(labels.length > 0 && labels.length <= 20, `mentor choices: ${labels.length}`);
  assert(labels.every((l) => l.includes('消化')), `a mentor of another specialty is offered: ${labels.join(' | ')}`);
  await shot(page, 'forms-mentor-by-department');
}

export const CASES = [
  ['forms: three mistakes show three errors; the picker finds a person; saved (desk)', (page) => threeMistakesThenPickAndSave(page, 'desk'), DESK],
  ['forms: three mistakes show three errors; the picker finds a person; saved (phone)', (page) => threeMistakesThenPickAndSave(page, 'phone'), PHONE],
  ['forms: the mentor picker follows the chosen department (desk)', mentorPickerFollowsDepartment, DESK],
];
