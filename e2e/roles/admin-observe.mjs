// Browser cases for what an operator of the platform sees (issue 22): the favicon in the tab
// (linked from every page, also at /favicon.ico), the Permissions-Policy on the pages, and
// /metrics for the platform admin's token only.

import { shot, step, assert, assertEq, visit, login, noOverflow, api, url, PASSWORD, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

async function faviconHeadersAndMetrics(page, where) {
  step('the sign-in page links the favicon and switches device features off');
  const resp = await visit(page, '/login');
  const policy = (await resp.allHeaders())['permissions-policy'] || '';
  for (const feature of ['camera=()', 'microphone=()', 'geolocation=()']) {
    assert(policy.includes(feature), `Permissions-Policy lacks ${feature}: ${policy}`);
  }
  const icon = await page.locator('link[rel=icon]').getAttribute('href');
  assertEq(icon, '/favicon.svg', 'favicon link');
  for (const p of ['/favicon.ico', '/favicon.svg']) {
    const r = await page.request.get(url(p));
    assertEq(r.status(), 200, `${p} status`);
    assertEq(r.headers()['content-type'], 'image/svg+xml', `${p} content type`);
  }
  await login(page, 'admin');
  const home = await page.locator('link[rel=icon]').count();
  assertEq(home, 1, 'favicon link on the signed-in pages');
  await noOverflow(page, `home (${where})`);
  await shot(page, `admin-observe-home-${where}`);

  step('the favicon itself, large');
  await page.setContent(`<img src="${url('/favicon.svg')}" width="128" height="128" alt="favicon">`);
  await page.locator('img').evaluate((img) => img.decode());
  await shot(page, `admin-observe-favicon-${where}`);

  step('/metrics: 401 without a token, 403 for the program office, the text format for the admin');
  assertEq((await api('GET', '/metrics')).status, 401, 'no token');
  const office = await api('POST', '/api/v1/auth/token', { username: 'office', password: PASSWORD });
  assertEq((await api('GET', '/metrics', undefined, office.body.token)).status, 403, 'office token');
  const admin = await api('POST', '/api/v1/auth/token', { username: 'admin', password: PASSWORD });
  const metrics = await api('GET', '/metrics', undefined, admin.body.token);
  assertEq(metrics.status, 200, 'admin token');
  for (const family of ['shanhai_http_requests_total', 'shanhai_bookings_total', 'process_resident_memory_bytes']) {
    assert(String(metrics.body).includes(`# TYPE ${family} `), `no ${family}`);
  }
}

export const CASES = [
  ['observe: favicon, Permissions-Policy, /metrics for the admin only (desk)', (page) => faviconHeadersAndMetrics(page, 'desk'), DESK],
  ['observe: favicon, Permissions-Policy, /metrics for the admin only (phone)', (page) => faviconHeadersAndMetrics(page, 'phone'), PHONE],
];
