// Browser cases for the training figures (issue 18): 红星医院's coordinator records a lecture
// series and one of its sessions, then a training scheme and a member of its cohort — each
// counted on the series' and the scheme's rows. On the desk (1366×900) and on a phone.

import { shot, step, assert, assertEq, pathOf, visit, submit, login, fixture, noOverflow, selectByText, pickFrom, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };
const form = '[data-testid=capacity-form]';

async function saved(page, what) {
  const r = await submit(page, form);
  assert(r.ok(), `saving ${what}: ${r.status()}`);
  const flash = page.locator('[data-testid=flash]');
  await flash.waitFor({ state: 'visible' });
}

async function seriesAndCohort(page, where) {
  const f = await fixture();
  const phone = where === 'phone';
  const tag = `${phone ? '手机' : '桌面'}${Date.now() % 100000}`;
  await login(page, 'coord-recipient');

  step('a lecture series: 豫哈青年课堂');
  await visit(page, '/lecture-series/new');
  await page.locator(form).waitFor();
  const empty = await submit(page, form);
  assertEq(empty.status(), 422, 'an empty series form');
  assert(await page.locator(`${form} [data-testid=error-name]`).isVisible(), 'the name is asked for beside its field');
  if (phone) await noOverflow(page, 'the series form with errors on a phone');
  await shot(page, `training-series-errors-${where}`);
  const series = `豫哈青年课堂${tag}`;
  await page.fill(`${form} input[name=name]`, series);
  await selectByText(page, `${form} select[name=kind]`, '系列课堂');
  await saved(page, 'the series');
  assertEq(pathOf(page), '/lecture-series', 'lands on the series list');

  step('a session of the series: a remote class with 120 attending');
  await visit(page, '/teaching-activities/new');
  await page.locator(form).waitFor();
  await selectByText(page, `${form} select[name=kind]`, '远程教学');
  await page.fill(`${form} input[name=topic]`, '急性胸痛的鉴别诊断（第1期）');
  await page.check(`${form} input[name=online]`);
  await page.fill(`${form} input[name=attendance]`, '120');
  await selectByText(page, `${form} select[name=series_id]`, series);
  if (phone) await noOverflow(page, 'the teaching form on a phone');
  await shot(page, `training-session-form-${where}`);
  await saved(page, 'the session');
  await visit(page, `/lecture-series?q=${encodeURIComponent(series)}`);
  const row = page.locator('tr, .card', { hasText: series }).first();
  await row.waitFor({ state: 'visible' });
  const text = await row.innerText();
  assert(text.includes('120'), `the series counts its session's attendance: ${text}`);
  if (phone) await noOverflow(page, 'the series list on a phone');
  await shot(page, `training-series-list-${where}`);

  step('a training scheme and a member of its cohort');
  await visit(page, '/training-schemes/new');
  await page.locator(form).waitFor();
  const scheme = `红星青年骨干跟岗${tag}`;
  await page.fill(`${form} input[name=name]`, scheme);
  await selectByText(page, `${form} select[name=kind]`, '跟岗');
  await pickFrom(page, 'host_institution_id', '河南省人民', '河南省人民医院', form);
  await saved(page, 'the scheme');
  await visit(page, '/training-scheme-members/new');
  await page.locator(form).waitFor();
  step('a member with neither a person nor a placement is refused, the rule beside the field');
  await selectByText(page, `${form} select[name=scheme_id]`, scheme);
  const none = await submit(page, form);
  assertEq(none.status(), 422, 'a member without a person or placement');
  const err = (await page.locator(`${form} [data-testid=error-person_id]`).textContent()).trim();
  step(`error at person_id: ${err}`);
  await shot(page, `training-member-error-${where}`);
  await selectByText(page, `${form} select[name=scheme_id]`, scheme);
  const staff = (await (await fetch(`${process.env.SHANHAI_URL || 'http://127.0.0.1:18080'}/api/v1/people?institution=${f.hongxing.id}&per_page=30`, { headers: { authorization: `Bearer ${f.token}` } })).json()).items;
  const member = staff[phone ? 3 : 2];
  await pickFrom(page, 'person_id', member.name, member.name, form);
  await saved(page, 'the member');
  assertEq(pathOf(page), '/training-scheme-members', 'lands on the scheme members');
  const listed = page.locator('tr, .card', { hasText: member.name }).first();
  await listed.waitFor({ state: 'visible' });
  assert((await listed.innerText()).includes(scheme), 'the member row names the scheme');
  if (phone) await noOverflow(page, 'the members list on a phone');
  await shot(page, `training-members-${where}`);
  await visit(page, `/training-schemes?q=${encodeURIComponent(scheme)}`);
  const schemeRow = page.locator('tr, .card', { hasText: scheme }).first();
  await schemeRow.waitFor({ state: 'visible' });
  assert(/\b1\b/.test(await schemeRow.innerText()), 'the scheme counts its member');
  await shot(page, `training-schemes-${where}`);
}

export const CASES = [
  ['coordinator records a lecture series session and a training cohort (desk)', (page) => seriesAndCohort(page, 'desk'), DESK],
  ['coordinator records a lecture series session and a training cohort (phone)', (page) => seriesAndCohort(page, 'phone'), PHONE],
];
