// Browser cases for teams and scoped figures (issue 18): the program office forms a team of its
// program through the API, opens the team's page (members by name · title · institution, its
// visits, its figures), records a visit on the page, follows a team figure to exactly its
// records, and opens the team's scoped dashboard and briefing; on the phone the same pages and
// a dispatch scheme's dashboard, without sideways scrolling.

import { shot, step, assert, assertEq, visit, login, apiOk, noOverflow, PHONE, PASSWORD } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

/** The office's token, program, and a team of it (formed once, found again after). */
async function officeTeam() {
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'office', password: PASSWORD }, undefined, 201);
  const me = await apiOk('GET', '/api/v1/auth/me', undefined, token);
  const program = me.program_id;
  const existing = await apiOk('GET', `/api/v1/teams?program=${program}&q=${encodeURIComponent('组团式')}`, undefined, token);
  if (existing.total > 0) return { token, program, team: existing.items[0] };
  // The experts of the program's first batches, at the host they served.
  const assignments = await apiOk('GET', `/api/v1/assignments?program=${program}&per_page=40`, undefined, token);
  assert(assignments.items.length >= 4, 'the office\'s program has assignments');
  const host = assignments.items[0].institution_id;
  const people = [];
  for (const a of assignments.items) {
    if (a.institution_id === host && !people.includes(a.person_id)) people.push(a.person_id);
  }
  const leader = await apiOk('GET', `/api/v1/people/${people[0]}`, undefined, token);
  const team = await apiOk(
    'POST',
    '/api/v1/teams',
    {
      program_id: program,
      name: '心血管组团式帮扶团队',
      kind: 'team-based',
      home_institution_id: leader.institution_id,
      host_institution_id: host,
      leader_id: leader.id,
      formed_on: '2010-01-01',
    },
    token,
    201,
  );
  for (const p of people.slice(1, 5)) {
    await apiOk('POST', `/api/v1/teams/${team.id}/members`, { person_id: p, joined_on: '2010-01-01' }, token, 201);
  }
  for (const [start, end] of [['2024-05-07', '2024-05-10'], ['2025-04-15', '2025-04-18']]) {
    await apiOk('POST', `/api/v1/teams/${team.id}/visits`, { start_date: start, end_date: end, note: '心内科门诊与查房' }, token, 201);
  }
  return { token, program, team };
}

async function teamDesk(page) {
  const { token, program, team } = await officeTeam();
  const figures = await apiOk('GET', `/api/v1/programs/${program}/indicators?team=${team.id}`, undefined, token);
  const visits = figures.find((f) => f.code === 'team-visits');
  assert(visits && visits.value >= 2, `team-visits of the team: ${JSON.stringify(visits)}`);
  assert(!figures.some((f) => f.code === 'batches'), 'a team has no batches figure');
  for (const f of figures.filter((x) => x.measure === 'count')) {
    const list = await apiOk('GET', `${f.records_url}&per_page=1`, undefined, token);
    assertEq(list.total, f.value, `API: ${f.code}'s records of the team`);
  }

  await login(page, 'office');
  step('/teams lists the team as a card');
  await visit(page, '/teams');
  await page.locator('[data-testid=team-card]').first().waitFor({ state: 'visible' });
  await shot(page, 'teams-list-desk');
  step('the team\'s page: members by name and title, visits, figures');
  await visit(page, `/teams/${team.id}`);
  const members = await page.locator('[data-testid=team-member]').allInnerTexts();
  assert(members.length >= 2, `members shown: ${members}`);
  assert(members.every((m) => /主任医师|副主任医师|主治医师|住院医师|医师/.test(m)), `members by name and title: ${members}`);
  const main = await page.locator('main').innerText();
  assert(!/[0-9a-f]{8}-[0-9a-f]{4}-/.test(main), 'no UUIDs on the team page');
  await shot(page, 'team-page-desk');

  step('a visit recorded on the page; a wrong one says why at its field');
  const before = await page.locator('[data-testid=team-visit]').count();
  await page.fill('[data-testid=team-visit-form] input[name=start_date]', '2025-09-10');
  await page.fill('[data-testid=team-visit-form] input[name=end_date]', '2025-09-01');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=team-visit-add]')]);
  await page.locator('[data-testid=error-end_date]').waitFor({ state: 'visible' });
  await shot(page, 'team-visit-error-desk');
  await page.fill('[data-testid=team-visit-form] input[name=end_date]', '2025-09-12');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=team-visit-add]')]);
  assertEq(await page.locator('[data-testid=team-visit]').count(), before + 1, 'visits after recording one');

  step('the team-visits figure opens to exactly its visits');
  const link = page.locator('[data-testid=team-figures] .stat[data-code="team-visits"] a');
  const shown = Number((await link.innerText()).replace(/,/g, ''));
  assertEq(shown, before + 1, 'the team-visits figure on the page');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
  assertEq(Number(await page.locator('[data-testid=records-total]').getAttribute('data-total')), shown, 'records of the team-visits figure');
  await shot(page, 'team-visits-records-desk');

  step('the team\'s dashboard: the scope named, figures linked to their records');
  await visit(page, `/teams/${team.id}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=team-dashboard]')]);
  assertEq(await page.locator('[data-testid=dash-scope-label]').innerText(), team.name, 'the dashboard\'s scope');
  const head = page.locator('[data-testid=dash-headlines] .stat[data-code="team-visits"] a');
  assertEq(Number((await head.innerText()).replace(/,/g, '')), shown, 'team-visits on the team\'s dashboard');
  assertEq(await page.locator('[data-testid=dash-headlines] .stat[data-code="batches"]').count(), 0, 'no batches figure for a team');
  await shot(page, 'team-dashboard-desk');
  step('and its briefing, titled with the team');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=dash-briefing]')]);
  const text = await page.locator('[data-testid=briefing]').innerText();
  assert(text.includes(team.name), `briefing names the team: ${text.slice(0, 200)}`);
  const docx = await page.locator('[data-testid=briefing-docx]').getAttribute('href');
  assert(docx.includes(`team=${team.id}`), `the DOCX download keeps the team: ${docx}`);
  await shot(page, 'team-briefing-desk');
}

async function teamPhone(page) {
  const { token, program, team } = await officeTeam();
  await login(page, 'office');
  step('phone: the team\'s page');
  await visit(page, `/teams/${team.id}`);
  await noOverflow(page, 'team page on a phone');
  await shot(page, 'team-page-phone');
  step('phone: the team\'s dashboard and briefing');
  await visit(page, `/dashboard?program=${program}&within=team:${team.id}`);
  await noOverflow(page, 'team dashboard on a phone');
  await shot(page, 'team-dashboard-phone');
  await visit(page, `/programs/${program}/briefing?team=${team.id}`);
  await noOverflow(page, 'team briefing on a phone');
  await shot(page, 'team-briefing-phone');
  step('phone: a dispatch scheme\'s dashboard through the scope chooser');
  const schemes = await apiOk('GET', `/api/v1/dispatch-schemes?program=${program}`, undefined, token);
  const flexible = (schemes.items || schemes).find((s) => s.name === '柔性援疆');
  assert(flexible, 'the scheme 柔性援疆');
  await visit(page, `/dashboard?program=${program}`);
  await page.selectOption('[data-testid=dash-scope]', `scheme:${flexible.id}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=dashboard-filters] button[type=submit]')]);
  assertEq(await page.locator('[data-testid=dash-scope-label]').innerText(), '柔性援疆', 'the scheme scope');
  const figures = await apiOk('GET', `/api/v1/programs/${program}/indicators?scheme=${flexible.id}`, undefined, token);
  const batches = figures.find((f) => f.code === 'batches');
  const head = page.locator('[data-testid=dash-headlines] .stat[data-code="batches"] a');
  assertEq(Number((await head.innerText()).replace(/,/g, '')), batches.value, 'batches of 柔性援疆');
  await noOverflow(page, 'scheme dashboard on a phone');
  await shot(page, 'scheme-dashboard-phone');
}

export const CASES = [
  ['60 office opens a team, records a visit, follows its figures, dashboard and briefing (desk)', teamDesk, DESK],
  ['61 office opens a team and a scheme\'s dashboard on the phone', teamPhone, PHONE],
];
