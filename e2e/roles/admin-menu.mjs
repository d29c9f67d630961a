// Browser cases for the admin menu: the developer items (API docs, webhooks, the OpenAPI JSON)
// sit in a menu only the platform admin sees; the admin lands on the overview.

import { shot, step, assert, assertEq, login, pathOf, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };
const DEVELOPER_LINKS = 'a[href="/api/docs"], a[href="/api/openapi.json"], a[href="/webhooks"]';

async function adminMenuHoldsDeveloperItems(page, ctx) {
  step('the admin lands on the overview and finds the developer items in 管理');
  await login(page, 'admin');
  assertEq(pathOf(page), '/dashboard', 'the admin\'s home');
  assert(!(await page.isVisible('[data-testid=nav-api-docs]')), 'the admin menu starts folded');
  await page.click('[data-testid=nav-admin] > summary');
  for (const id of ['nav-api-docs', 'nav-openapi', 'nav-webhooks']) {
    assert(await page.isVisible(`[data-testid=${id}]`), `${id} in the admin menu`);
  }
  const menu = await page.locator('[data-testid=nav-admin]').innerText();
  for (const label of ['用户管理', '审计日志', '开发者', '接口文档']) {
    assert(menu.includes(label), `the admin menu lacks ${label}: ${menu}`);
  }
  await shot(page, 'admin-menu-desk');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=nav-webhooks]')]);
  assertEq(pathOf(page), '/webhooks', 'webhooks from the admin menu');

  for (const who of ['office', 'coord-donor', 'coord-recipient', 'expert', 'clinician']) {
    step(`${who}: no admin menu, no developer items`);
    await ctx.clearCookies();
    await login(page, who);
    assertEq(await page.locator('[data-testid=nav-admin]').count(), 0, `${who}: the admin menu`);
    assertEq(await page.locator(`header ${DEVELOPER_LINKS}`).count(), 0, `${who}: developer links in the top bar`);
  }
  await shot(page, 'clinician-nav-without-admin-menu');
  return pathOf(page);
}

async function adminMenuOnPhone(page) {
  await login(page, 'admin');
  await page.click('[data-testid=nav-toggle]');
  await page.click('[data-testid=nav-admin] > summary');
  assert(await page.isVisible('[data-testid=nav-api-docs]'), 'API docs in the admin menu on a phone');
  await shot(page, 'admin-menu-phone');
}

export const CASES = [
  ['admin-menu: the developer items are in the admin menu, and only there (desk)', adminMenuHoldsDeveloperItems, DESK],
  ['admin-menu: the admin menu on a phone', adminMenuOnPhone, PHONE],
];
