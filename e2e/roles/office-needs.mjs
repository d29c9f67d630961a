// Browser cases for needs and availability (issue 19): the program office posts a need on the
// desk — a wrong one first, every problem beside its field — and finds it on the needs board,
// grouped by hospital, with the 组团式 teams and the program's planning rules; a donor
// coordinator posts an expert's availability on the phone (picker, modes, a blackout) and sees
// the expert's window drawn on the time axis; no sideways scrolling on the phone.

import { shot, step, assert, visit, submit, login, apiOk, noOverflow, pickFrom, PHONE, PASSWORD } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/;

async function token(username) {
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username, password: PASSWORD }, undefined, 201);
  return token;
}

async function officePostsNeed(page) {
  const t = await token('office');
  const me = await apiOk('GET', '/api/v1/auth/me', undefined, t);
  const before = await apiOk('GET', `/api/v1/needs?program=${me.program_id}&per_page=1`, undefined, t);
  assert(before.total >= 30, `the demo's 豫哈 needs: ${before.total}`);

  await login(page, 'office');
  step('/needs: cards grouped by hospital, the rules of the program, no ids');
  await visit(page, '/needs');
  await page.locator('[data-testid=need-card]').first().waitFor({ state: 'visible' });
  const main = await page.locator('main').innerText();
  assert(!UUID.test(main), 'no UUIDs on the needs board');
  assert(/优先级 [1-5]/.test(main), 'priorities shown as 优先级 1–5');
  assert(main.includes('红星医院'), 'the board names the hospital');
  assert((await page.locator('[data-testid=planning-rules]').count()) === 1, 'the program\'s planning rules are shown');
  await shot(page, 'needs-board-desk');

  step('post a need: a wrong one shows every problem beside its field, and changes nothing');
  await page.click('[data-testid=new-need]');
  await page.locator('[data-testid=need-form]').waitFor({ state: 'visible' });
  await page.selectOption('[data-testid=need-specialty]', '03.04');
  await page.fill('input[name=start_date]', '2027-05-01');
  await page.fill('input[name=end_date]', '2027-05-31');
  await page.fill('input[name=min_stay_days]', '90');
  await page.fill('input[name=team_name]', '心血管组');
  await submit(page, '[data-testid=need-form]');
  const stay = await page.locator('[data-testid=error-min_stay_days]').innerText();
  assert(stay.includes('最短驻派期长于需求时段'), `the minimum stay's problem at its field: ${stay}`);
  const role = await page.locator('[data-testid=error-team_role]').innerText();
  assert(role.length > 0, 'the team role\'s problem at its field');
  await shot(page, 'need-form-errors-desk');
  const still = await apiOk('GET', `/api/v1/needs?program=${me.program_id}&per_page=1`, undefined, t);
  assert(still.total === before.total, 'a refused need changes nothing');

  step('the corrected need is saved and shows on the board');
  await page.fill('input[name=end_date]', '2027-10-31');
  await page.fill('input[name=team_name]', '');
  await page.selectOption('select[name=priority]', '5');
  await page.selectOption('select[name=min_title]', 'chief-physician');
  await page.fill('textarea[name=note]', '胸痛中心建设急需');
  await submit(page, '[data-testid=need-form]');
  await page.locator('[data-testid=saved]').waitFor({ state: 'visible' });
  const card = page.locator('[data-testid=need-card]', { hasText: '胸痛中心建设急需' });
  await card.waitFor({ state: 'visible' });
  const text = await card.innerText();
  assert(text.includes('心血管内科') && text.includes('优先级 5') && text.includes('主任医师'), `the new need's card: ${text}`);
  const after = await apiOk('GET', `/api/v1/needs?program=${me.program_id}&per_page=1`, undefined, t);
  assert(after.total === before.total + 1, 'the need was posted once');
  await card.scrollIntoViewIfNeeded();
  await shot(page, 'needs-board-posted-desk');

  step('the planning rules form');
  await page.click('[data-testid=edit-rules]');
  await page.locator('[data-testid=rules-form]').waitFor({ state: 'visible' });
  await shot(page, 'planning-rules-desk');

  step('a 沪滇 team shown together under its team name (admin)');
  await login(page, 'admin');
  const programs = await apiOk('GET', '/api/v1/programs?per_page=50', undefined, await token('admin'));
  const huDian = programs.items.find((p) => p.name.includes('沪滇'));
  await visit(page, `/needs?program=${huDian.id}`);
  const teams = await page.locator('[data-testid=need-team]').allInnerTexts();
  assert(teams.length === 3, `three 组团式 teams: ${teams.length}`);
  assert(teams.every((x) => x.includes('挂职院长') && x.includes('科主任')), 'each team: a 挂职院长 and 科主任');
  await shot(page, 'needs-teams-desk');
}

async function donorPostsAvailability(page) {
  const t = await token('coord-donor');
  const me = await apiOk('GET', '/api/v1/auth/me', undefined, t);
  const people = await apiOk('GET', `/api/v1/people?institution=${me.institution_id}&per_page=200`, undefined, t);
  const posted = await apiOk('GET', `/api/v1/availability?institution=${me.institution_id}&per_page=200`, undefined, t);
  const person = people.items.find(
    (p) => p.title === 'chief-physician' && p.specialty_code && !posted.items.some((a) => a.person_id === p.id),
  );
  assert(person, 'a chief physician of the donor without availability');

  await login(page, 'coord-donor');
  step('/availability on the phone: experts with their windows on one time axis');
  await visit(page, '/availability');
  await page.locator('[data-testid=availability-expert]').first().waitFor({ state: 'visible' });
  await noOverflow(page, '/availability on the phone');
  const main = await page.locator('main').innerText();
  assert(!UUID.test(main), 'no UUIDs on the availability page');
  await shot(page, 'availability-phone');

  step(`post ${person.name}'s availability: the picker, modes, a blackout`);
  await page.click('[data-testid=new-availability]');
  await page.locator('[data-testid=availability-form]').waitFor({ state: 'visible' });
  await pickFrom(page, 'person_id', person.name);
  await page.fill('input[name=start_date]', '2027-03-01');
  await page.fill('input[name=end_date]', '2027-12-31');
  await page.check('input[name=modes][value=weekly]');
  await page.fill('input[name=longest_stint_days]', '3');
  const rows = page.locator('[data-testid=blackout-row]');
  await rows.nth(0).locator('input[name=blackout_start]').fill('2028-01-01');
  await rows.nth(0).locator('input[name=blackout_end]').fill('2028-01-05');
  await submit(page, '[data-testid=availability-form]');
  assert((await page.locator('[data-testid=error-longest_stint_days]').count()) === 1, 'the longest stint\'s problem at its field');
  assert((await page.locator('[data-testid=error-blackout-0]').count()) === 1, 'the blackout\'s problem at its row');
  await noOverflow(page, 'the availability form with errors on the phone');
  await shot(page, 'availability-form-errors-phone');
  await page.fill('input[name=longest_stint_days]', '120');
  await rows.nth(0).locator('input[name=blackout_start]').fill('2027-07-01');
  await rows.nth(0).locator('input[name=blackout_end]').fill('2027-07-10');
  await rows.nth(0).locator('input[name=blackout_reason]').fill('学术会议');
  await submit(page, '[data-testid=availability-form]');
  await page.locator('[data-testid=saved]').waitFor({ state: 'visible' });
  const expert = page.locator('[data-testid=availability-expert]', { hasText: person.name });
  await expert.waitFor({ state: 'visible' });
  const text = await expert.innerText();
  assert(text.includes('学术会议') && text.includes('候鸟') && text.includes('120'), `the expert's window: ${text}`);
  const list = await apiOk('GET', `/api/v1/availability?person=${person.id}`, undefined, t);
  assert(list.total === 1 && list.items[0].blackouts.length === 1, 'one window with its blackout');
  await expert.scrollIntoViewIfNeeded();
  await noOverflow(page, '/availability after posting');
  await shot(page, 'availability-posted-phone');

  step('the needs board on the phone (the donor side reads its program\'s needs)');
  await visit(page, '/needs');
  await page.locator('[data-testid=need-card]').first().waitFor({ state: 'visible' });
  await noOverflow(page, '/needs on the phone');
  await shot(page, 'needs-board-phone');
}

export const CASES = [
  ['office needs: posts a need on the desk and finds it on the board', officePostsNeed, DESK],
  ['office needs: a donor coordinator posts availability on the phone', donorPostsAvailability, PHONE],
];
