// Browser cases for the platform admin's forms: the account form shows every mistake at its
// field, links the account to a person found by part of the name, and confirms the save.

import { shot, step, assert, assertEq, pathOf, visit, submit, login, noOverflow, pickFrom, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

async function userFormMistakesAndPerson(page, where) {
  await login(page, 'admin');
  await visit(page, '/users/new');
  const form = '[data-testid=user-form]';
  step('three mistakes: a username with a space, a short password, a coordinator without an institution');
  await page.fill(`${form} input[name=username]`, 'new user');
  await page.fill(`${form} input[name=password]`, 'short');
  await page.selectOption(`${form} select[name=role]`, 'coordinator');
  const bad = await submit(page, form);
  assertEq(bad.status(), 422, 'HTTP status of three mistakes');
  for (const field of ['username', 'password', 'institution_id']) {
    const err = page.locator(`${form} [data-testid=error-${field}]`);
    await err.waitFor({ state: 'visible' });
    step(`error at ${field}: ${(await err.textContent()).trim()}`);
  }
  assertEq(await page.locator(`${form} .field-error`).count(), 3, 'field errors shown');
  await noOverflow(page, `user form with errors (${where})`);
  await shot(page, `admin-user-form-errors-${where}`);

  step('corrected: institution and person chosen by typing');
  const stamp = Date.now().toString().slice(-6);
  await page.fill(`${form} input[name=username]`, `coord-${where}-${stamp}`);
  await page.fill(`${form} input[name=password]`, 'a-long-enough-password');
  await pickFrom(page, 'institution_id', '红星医院', '红星医院', form);
  const person = await pickFrom(page, 'person_id', '任', '任', form);
  step(`person: ${person}`);
  assert(person.includes('红星医院'), `the person picker follows the institution: ${person}`);
  await shot(page, `admin-user-form-filled-${where}`);
  await submit(page, form);
  assertEq(pathOf(page), '/users', 'lands on the accounts list');
  await page.locator('[data-testid=flash]').waitFor({ state: 'visible' });
  await shot(page, `admin-user-saved-${where}`);
}

export const CASES = [
  ['forms: admin account form, three errors, person picker, saved (desk)', (page) => userFormMistakesAndPerson(page, 'desk'), DESK],
  ['forms: admin account form, three errors, person picker, saved (phone)', (page) => userFormMistakesAndPerson(page, 'phone'), PHONE],
];
