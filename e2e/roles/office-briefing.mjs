// Browser cases for the program office's briefing (成果简报): the 豫哈 office reads its briefing at
// the article's date — the KPIs year on year ("平均住院日同比减少0.31天"), the press's rounding
// words it chose ("新技术新项目120余项") — switches a figure to the exact number and back on the
// page's wording section, on the desk and on a phone.

import { shot, step, assert, assertEq, visit, login, apiOk, PASSWORD, noOverflow, submit, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };
const UNTIL = '2026-03-04';

async function yuHa() {
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'office', password: PASSWORD }, undefined, 201);
  const programs = await apiOk('GET', '/api/v1/programs?per_page=50', undefined, token);
  const p = programs.items.find((x) => x.name.includes('豫哈'));
  assert(p, 'the 豫哈 program');
  return { token, id: p.id };
}

async function briefingText(page) {
  return (await page.textContent('[data-testid=briefing]')).replace(/\s+/g, '');
}

async function officeWordsTheBriefing(page) {
  const { token, id } = await yuHa();
  step('the office opens its program\'s briefing at the article\'s date');
  await login(page, 'office');
  await visit(page, `/programs/${id}/briefing?until=${UNTIL}`);
  let text = await briefingText(page);
  for (const words of ['同比减少0.31天', '同比增长6.11%', '由2015年的20%提升至2024年的92%', '新技术新项目120余项', '远程会诊3000余例']) {
    assert(text.includes(words), `"${words}" in the briefing: ${text}`);
  }
  const rounded = page.locator('[data-testid=briefing] a.figure.rounded').first();
  assert((await rounded.getAttribute('title')).startsWith('精确数：'), 'a rounded number gives the exact one in its title');
  assert(await page.isVisible('[data-testid=briefing-wording]'), 'the wording section');
  await shot(page, 'office-briefing-desk');

  step('the office states the techniques exactly');
  const select = '[data-testid=wording-row][data-code=techniques] select';
  assertEq(await page.inputValue(select), 'rounded', 'techniques read rounded in the demo');
  await page.selectOption(select, 'exact');
  await submit(page, '[data-testid=wording-form]');
  assert((await page.textContent('[data-testid=notice]')).includes('已保存'), 'the save is confirmed');
  const api = await apiOk('GET', `/api/v1/programs/${id}/briefing?until=${UNTIL}`, undefined, token);
  const techniques = api.figures.find((f) => f.code === 'techniques');
  text = await briefingText(page);
  assert(text.includes(`新技术新项目${techniques.display}项`) && /^\d+$/.test(techniques.display), `exact now: ${techniques.display}`);
  assertEq(await page.inputValue(select), 'exact', 'the section shows the choice');
  await page.locator('[data-testid=briefing-wording]').scrollIntoViewIfNeeded();
  await shot(page, 'office-briefing-wording-saved');

  step('and back to the press\'s words');
  await page.selectOption(select, 'rounded');
  await submit(page, '[data-testid=wording-form]');
  assert((await briefingText(page)).includes('新技术新项目120余项'), 'rounded again');

  step('the KPI page shows each KPI\'s latest change');
  await visit(page, '/kpis');
  const changes = await page.locator('[data-testid=kpi-changes]').innerText();
  assert(changes.includes('同比 −0.31天（−3.48%）') && changes.includes('同比 +321例（+6.11%）'), `changes: ${changes}`);
  assert(changes.includes('平均住院日') && changes.includes('三四级手术例数'), `changes: ${changes}`);
  await shot(page, 'office-kpis-changes');
}

async function officeReadsTheBriefingOnPhone(page) {
  const { id } = await yuHa();
  await login(page, 'office');
  await visit(page, `/programs/${id}/briefing?until=${UNTIL}`);
  const text = await briefingText(page);
  assert(text.includes('同比减少0.31天') && text.includes('120余项'), `the briefing on a phone: ${text}`);
  assert(await page.isVisible('[data-testid=wording-save]'), 'the wording section on a phone');
  await noOverflow(page, 'the briefing (office, phone)');
  await shot(page, 'office-briefing-phone');
}

async function hudianMoneyByItem(page) {
  await login(page, 'admin');
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'admin', password: PASSWORD }, undefined, 201);
  const programs = await apiOk('GET', '/api/v1/programs?per_page=50', undefined, token);
  const p = programs.items.find((x) => x.name.includes('沪滇'));
  await visit(page, `/programs/${p.id}/briefing?until=2024-06-30`);
  const text = await briefingText(page);
  for (const words of ['投入1,200万元，用于在昭通建设', '投入2,200万元用于新建盐津县人民医院科研综合楼', '累计投入协作资金8300余万元', '彩色超声诊断仪3台', '提升了5.12个百分点']) {
    assert(text.includes(words), `"${words}" in the 沪滇 briefing: ${text}`);
  }
  await page.locator('text=资金与设备').first().scrollIntoViewIfNeeded();
  await shot(page, 'admin-briefing-money-items');
}

export const CASES = [
  ['office-briefing: the office reads its briefing and chooses exact or rounded words (desk)', officeWordsTheBriefing, DESK],
  ['office-briefing: the briefing and its wording on a phone', officeReadsTheBriefingOnPhone, PHONE],
  ['office-briefing: 沪滇 money by item and the KPI points (desk)', hudianMoneyByItem, DESK],
];
