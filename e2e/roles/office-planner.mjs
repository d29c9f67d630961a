// Browser cases for the deployment planner (issue 19, "What it must show"): the program office
// posts a need nobody can cover, runs the planner on /plans/new, waits on the plan's page until
// the solve is done, reads why that need is uncovered (the reason in words), pins a proposal,
// re-solves and sees the pin kept, accepts (the confirm step says what will be created) and
// finds the batch's assignments on the roster. On the desk (1366×900) and on the phone (390×844,
// no sideways scrolling; the timeline scrolls inside its own box).

import { shot, step, assert, visit, login, apiOk, noOverflow, pickFrom, PHONE, PASSWORD } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };
/** How long a solve may take on a busy 2-core machine (time limit + queue + refreshes). */
const SOLVE_MS = 90_000;

/** The office's token, program, and a pairing of it (donor and recipient). */
async function office() {
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'office', password: PASSWORD }, undefined, 201);
  const me = await apiOk('GET', '/api/v1/auth/me', undefined, token);
  const program = me.program_id;
  const pairings = await apiOk('GET', `/api/v1/pairings?program=${program}&per_page=50`, undefined, token);
  assert(pairings.items.length > 0, 'the office\'s program has pairings');
  const p = pairings.items[0];
  return { token, program, donor: p.donor_id, recipient: p.recipient_id };
}

/**
 * What the planner works on, posted by the office through the API (the needs board and the
 * availability pages are the needs helper's): four donor experts free for the horizon, and a
 * need of each one's specialty at the recipient; once per horizon.
 */
async function plannable(f, h) {
  const mine = await apiOk('GET', `/api/v1/needs?program=${f.program}&per_page=100`, undefined, f.token);
  if (mine.items.some((n) => n.start_date === h.start && n.specialty_code !== '24')) return;
  const people = await apiOk('GET', `/api/v1/people?institution=${f.donor}&per_page=100`, undefined, f.token);
  const experts = people.items.filter((x) => x.specialty_code && x.title).slice(0, 4);
  assert(experts.length >= 2, `the donor has experts with a specialty and a title: ${experts.length}`);
  for (const [i, x] of experts.entries()) {
    await apiOk('POST', '/api/v1/availability', { person_id: x.id, start_date: h.start, end_date: h.end, modes: ['stationed'] }, f.token, 201);
    await apiOk('POST', '/api/v1/needs', {
      program_id: f.program,
      institution_id: f.recipient,
      specialty_code: x.specialty_code,
      mode: 'stationed',
      start_date: h.start,
      end_date: h.end,
      min_stay_days: 60,
      post: 'department-head',
      priority: 3 + (i % 3),
    }, f.token, 201);
  }
}

/** A horizon: the next half year from the coming Monday (as /plans/new proposes). */
function horizon() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  const add = ((8 - d.getUTCDay()) % 7) + 7;
  const start = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + add));
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 6, start.getUTCDate() - 1));
  const iso = (x) => x.toISOString().slice(0, 10);
  return { start: iso(start), end: iso(end) };
}

/**
 * Posts a need no expert can fill on the needs helper's /needs/new page: 临终关怀科 (hospice
 * care: no demo expert has it), at least 主任医师, for the whole horizon. Answers its id (the
 * board's address ends with #need-<id>).
 */
async function postUncoverableNeed(page, f, h) {
  await visit(page, `/needs/new?program=${f.program}`);
  const form = '[data-testid=need-form]';
  await page.selectOption(`${form} select[name=program_id]`, f.program);
  await pickFrom(page, 'institution_id', '红星', '红星医院', form);
  await page.selectOption(`${form} select[name=specialty_code]`, '24');
  await page.selectOption(`${form} select[name=post]`, 'department-head');
  await page.selectOption(`${form} select[name=mode]`, 'stationed');
  await page.selectOption(`${form} select[name=min_title]`, 'chief-physician');
  await page.fill(`${form} input[name=start_date]`, h.start);
  await page.fill(`${form} input[name=end_date]`, h.end);
  await page.fill(`${form} input[name=min_stay_days]`, '90');
  await page.selectOption(`${form} select[name=priority]`, '5');
  await shot(page, 'need-form-desk');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=save-need]')]);
  const at = new URL(page.url());
  assert(at.pathname === '/needs' && at.hash.startsWith('#need-'), `the need saved: ${page.url()}`);
  return { id: at.hash.slice('#need-'.length) };
}

/** Waits (the page refreshes itself every 2 s) until the plan's status is one of `statuses`. */
async function waitForStatus(page, statuses) {
  const sel = statuses.map((s) => `[data-testid=plan-status][data-status=${s}]`).join(', ');
  await page.locator(sel).first().waitFor({ state: 'attached', timeout: SOLVE_MS });
  await page.waitForLoadState('load');
}

async function plannerDesk(page) {
  const f = await office();
  const h = horizon();
  await login(page, 'office');

  step('the office posts a need nobody can cover (besides needs the donor\'s experts can fill)');
  await plannable(f, h);
  const need = await postUncoverableNeed(page, f, h);

  step('/plans: the nav leads there; a new solve states its objective');
  await visit(page, '/');
  await page.click('[data-testid=nav-plans]');
  await page.waitForLoadState('load');
  await shot(page, 'plans-list-desk');
  await page.click('[data-testid=new-plan]');
  await page.waitForLoadState('load');
  const objective = await page.locator('[data-testid=plan-objective]').innerText();
  assert(objective.includes('按优先级加权的需求覆盖天数最大化'), `the objective stated: ${objective}`);

  step('a wrong horizon says why at its field, and starts nothing');
  await page.fill('[data-testid=plan-form] input[name=horizon_start]', h.end);
  await page.fill('[data-testid=plan-form] input[name=horizon_end]', h.start);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=start-plan]')]);
  assert(await page.locator('[data-testid=error-horizon_end]').isVisible(), 'the end-before-start problem at the end field');
  await shot(page, 'plan-form-error-desk');

  step('start the solve; the page shows progress, then the plan');
  await page.fill('[data-testid=plan-form] input[name=horizon_start]', h.start);
  await page.fill('[data-testid=plan-form] input[name=horizon_end]', h.end);
  await page.fill('[data-testid=plan-form] input[name=time_limit_seconds]', '3');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=start-plan]')]);
  assert(/\/plans\/[0-9a-f-]{36}$/.test(new URL(page.url()).pathname), `on the plan's page: ${page.url()}`);
  const planUrl = new URL(page.url()).pathname;
  await waitForStatus(page, ['done']);
  await shot(page, 'plan-done-desk');

  step('why the posted need is uncovered, in words, with what would cover it');
  const gap = page.locator(`#need-${need.id}`);
  await gap.waitFor({ state: 'visible' });
  const why = await gap.locator('[data-testid=gap-reason]').allInnerTexts();
  assert(why.length > 0 && why.every((r) => r.length > 8), `a reason in words: ${why}`);
  assert(why.some((r) => r.includes('临终关怀') || r.includes('主任医师')), `the reason names the specialty or title: ${why}`);
  const main = await page.locator('main').innerText();
  assert(!/[0-9a-f]{8}-[0-9a-f]{4}-/.test(main), 'no UUIDs on the plan page');

  step('the timeline by hospital and by expert');
  assert(await page.locator('[data-testid=timeline] svg').count() === 1, 'a timeline SVG');
  await page.click('[data-testid=view-expert]');
  await page.waitForLoadState('load');
  assert(await page.locator('[data-testid=view-expert].active').count() === 1, 'the expert view is on');
  await shot(page, 'plan-by-expert-desk');

  step('pin a proposal');
  const items = page.locator('[data-testid=plan-item]');
  assert(await items.count() > 0, 'the plan proposes assignments');
  const first = items.first();
  const pinnedText = (await first.locator('.who').innerText()).replace(/已锁定/, '').trim()
    + ' | ' + (await first.locator('.where').innerText()).trim()
    + ' | ' + (await first.locator('.small').last().innerText()).trim();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), first.locator('[data-testid=pin]').click()]);
  // Every edit re-solves around the pinned proposals: wait for it.
  await waitForStatus(page, ['done']);
  const pinnedCard = page.locator('[data-testid=plan-item][data-pinned=true]');
  assert(await pinnedCard.count() >= 1, 'the proposal is pinned');

  step('a move that breaks a rule says so at its field, and changes nothing');
  const card = page.locator('[data-testid=plan-item][data-pinned=true]').first();
  const cardId = await card.getAttribute('id');
  await card.locator('[data-testid=move]').click();
  await card.locator('input[name=start_date]').fill(h.end);
  await card.locator('input[name=end_date]').fill(h.start);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), card.locator('form[action*="/move"] button[type=submit]').click()]);
  const moved = page.locator(`#${cardId}`);
  const fieldError = await moved.locator('.field-error').allInnerTexts();
  assert(fieldError.length > 0 && fieldError.every((m) => m.length > 2), `the broken rule at its field: ${fieldError}`);
  await shot(page, 'plan-move-error-desk');
  await visit(page, planUrl);

  step('where would this expert fit best');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), pinnedCard.first().locator('[data-testid=fits-link]').click()]);
  await page.locator('[data-testid=plan-fits]').waitFor({ state: 'visible' });
  await shot(page, 'plan-fits-desk');

  step('re-solve: the pinned proposal is kept');
  await visit(page, planUrl);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=resolve]')]);
  await waitForStatus(page, ['done']);
  const kept = await page.locator('[data-testid=plan-item][data-pinned=true]').evaluateAll((cards) =>
    cards.map((c) => [c.querySelector('.who').innerText.replace(/已锁定/, '').trim(), c.querySelector('.where').innerText.trim(), [...c.querySelectorAll('.small')].pop().innerText.trim()].join(' | ')),
  );
  assert(kept.includes(pinnedText), `the pinned proposal survives the re-solve: ${pinnedText} in ${JSON.stringify(kept)}`);

  step('accept: the confirm step says what will be created');
  await page.click('[data-testid=accept-plan]');
  const what = await page.locator('[data-testid=accept-what]').innerText();
  assert(/1 个派驻批次/.test(what) && /项派驻/.test(what), `what accepting creates: ${what}`);
  await shot(page, 'plan-accept-confirm-desk');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=confirm-accept]')]);
  await page.locator('[data-testid=plan-accepted]').waitFor({ state: 'visible' });
  await shot(page, 'plan-accepted-desk');

  step('the batch\'s assignments on the roster');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=plan-batch-link]')]);
  await shot(page, 'plan-batch-roster-desk');
  // The pinned expert, found on the batch's roster by name (the roster pages long batches).
  const expert = pinnedText.split(' · ')[0].trim();
  await visit(page, `${new URL(page.url()).pathname}${new URL(page.url()).search}&q=${encodeURIComponent(expert)}`);
  const roster = await page.locator('main').innerText();
  assert(roster.includes(expert), `the roster shows ${expert}`);
}

async function plannerPhone(page) {
  const f = await office();
  await plannable(f, horizon());
  await login(page, 'office');
  step('the plans on the phone');
  await visit(page, `/plans?program=${f.program}`);
  await noOverflow(page, '/plans on the phone');
  await shot(page, 'plans-list-phone');
  step('a new solve on the phone');
  await visit(page, `/plans/new?program=${f.program}`);
  await noOverflow(page, '/plans/new on the phone');
  await shot(page, 'plan-form-phone');
  await page.fill('[data-testid=plan-form] input[name=time_limit_seconds]', '2');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=start-plan]')]);
  await noOverflow(page, 'a solving plan on the phone');
  await shot(page, 'plan-running-phone');
  await waitForStatus(page, ['done', 'failed']);
  step('the plan on the phone: the timeline scrolls in its box, the page never sideways');
  await noOverflow(page, 'the plan on the phone');
  await shot(page, 'plan-phone');
  await page.click('[data-testid=view-expert]');
  await page.waitForLoadState('load');
  await noOverflow(page, 'the plan by expert on the phone');
  if (await page.locator('[data-testid=accept-plan]').count()) {
    await page.click('[data-testid=accept-plan]');
    await noOverflow(page, 'the accept step on the phone');
    await shot(page, 'plan-accept-phone');
  }
}

export const CASES = [
  ['office: post a need, plan, read why uncovered, pin, re-solve, accept (desk)', plannerDesk, DESK],
  ['office: plans on the phone', plannerPhone, PHONE],
];

