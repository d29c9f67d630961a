// Browser cases for a coordinator's outreach event (红星医院): the form states every problem at
// its field; the event is recorded with its team (people picker) and the place's region; an
// outreach clinic session is linked from the event's page; the chain and the dashboard figure
// show. On the desk (1366×900) and on a phone.

import { shot, step, assert, assertEq, visit, submit, login, fixture, newExpert, newSession, noOverflow, pickFrom, shanghaiDate, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

async function outreachEvent(page, phone) {
  const tag = phone ? 'phone' : 'desk';
  const f = await fixture();
  const expert = await newExpert(f, phone ? '司马' : '诸葛', []);
  const session = await newSession(f, expert, 2, 30, 'free-clinic');
  step(`fixture: an expert ${expert.name} and a free clinic session ${session.date}`);
  await login(page, 'coord-recipient');
  await visit(page, '/outreach-events/new');
  if (phone) await noOverflow(page, 'the outreach form on a phone');
  await shot(page, `outreach-form-${tag}`);

  step('every problem at once, each beside its field');
  const bad = await submit(page, '[data-testid=outreach-form]');
  assertEq(bad.status(), 422, 'an empty form');
  for (const field of ['kind', 'place_kind', 'place_name', 'region_code', 'people_served']) {
    assert((await page.locator(`[data-testid=error-${field}]`).count()) === 1, `an error beside ${field}`);
  }
  await shot(page, `outreach-form-errors-${tag}`);

  step('fill in the event with its team');
  const form = '[data-testid=outreach-form]';
  await page.selectOption(`${form} select[name=kind]`, 'free-clinic');
  await page.fill(`${form} input[name=title]`, '健康进社区义诊');
  await page.selectOption(`${form} select[name=place_kind]`, 'community');
  await page.fill(`${form} input[name=place_name]`, '伊州区东河街道社区');
  await page.selectOption(`${form} select[name=region_code]`, '650502');
  await pickFrom(page, 'donor_institution_id', '河南省人民', '河南省人民医院', form);
  const chosen = await pickFrom(page, 'expert_1', expert.name, expert.name, form);
  assert(chosen.includes('主任医师'), `the expert shows with title: ${chosen}`);
  await page.fill(`${form} input[name=people_served]`, '260');
  await page.fill(`${form} input[name=screenings]`, '40');
  await page.fill(`${form} input[name=local_staff]`, '6');
  await submit(page, form);
  assert(page.url().includes('/outreach-events/'), `on the event's page: ${page.url()}`);
  const chain = (await page.textContent('[data-testid=outreach-chain]')).replace(/\s+/g, ' ');
  assert(chain.includes('河南省人民医院') && chain.includes('伊州区东河街道社区 / 伊州区'), `chain: ${chain}`);
  const team = await page.locator('[data-testid=outreach-expert]').allInnerTexts();
  assert(team.some((t) => t.includes(expert.name) && t.includes('河南省人民医院')), `team: ${team}`);
  if (phone) await noOverflow(page, 'the event page on a phone');
  await shot(page, `outreach-event-${tag}`);

  step('link the free clinic session from the event page');
  await page.selectOption('[data-testid=outreach-link-form] select[name=session_id]', session.id);
  await submit(page, '[data-testid=outreach-link-form]');
  const sessions = await page.locator('[data-testid=outreach-session]').allInnerTexts();
  assert(sessions.some((t) => t.includes(expert.name) && t.includes('义诊')), `sessions: ${sessions}`);
  await shot(page, `outreach-event-linked-${tag}`);

  step('the list shows the chain on a card; the dashboard the figure');
  await visit(page, `/outreach-events?until=${shanghaiDate(0)}`);
  if (phone) await noOverflow(page, 'the outreach list on a phone');
  await shot(page, `outreach-list-${tag}`);
  await visit(page, '/dashboard');
  const dash = await page.textContent('body');
  assert(dash.includes('下沉活动惠及群众') || dash.includes('义诊服务群众'), 'the outreach figures on the dashboard');
  if (phone) await noOverflow(page, 'the dashboard on a phone');
  await shot(page, `outreach-dashboard-${tag}`);
}

export const CASES = [
  ['coordinator: record an outreach event with its team, link a session (desk)', (page) => outreachEvent(page, false), DESK],
  ['coordinator: record an outreach event with its team, link a session (phone)', (page) => outreachEvent(page, true), PHONE],
];
