// Browser cases for the platform admin: programs, pairings, language, audit, phone and print, the dashboard.

import {
  shot,
  step,
  assert,
  assertEq,
  url,
  pathOf,
  visit,
  submit,
  login,
  navTexts,
  searchPrograms,
  horizontalOverflow,
  CJK,
  shared,
  clickAndWait,
  selectByText,
  pickFrom,
  PHONE,
} from '../lib.mjs';
import { readFileSync } from 'node:fs';

async function signInFailureAndSuccess(page) {
  step('anonymous GET /programs redirects to the login page');
  await visit(page, '/programs');
  assertEq(pathOf(page), '/login', 'path after GET /programs without a session');
  assertEq(await page.getAttribute('html', 'lang'), 'zh-CN', 'html lang on the login page');
  await shot(page, 'login-page');

  step('wrong password shows an error in Chinese');
  await login(page, 'admin', 'wrong-password');
  assertEq(pathOf(page), '/login', 'path after a failed sign-in');
  const err = page.locator('[data-testid=form-error]');
  await err.waitFor({ state: 'visible' });
  const errText = (await err.textContent()).trim();
  assert(CJK.test(errText), `the sign-in error is not in Chinese: ${JSON.stringify(errText)}`);
  assert(!/[A-Za-z]{3,}/.test(errText), `the sign-in error contains English: ${JSON.stringify(errText)}`);
  assertEq(await page.inputValue('input[name=username]'), 'admin', 'username kept after a failed sign-in');
  await shot(page, 'login-failed');

  step('admin signs in and lands on the overview (dashboard); /programs lists the five demo programs');
  await login(page, 'admin');
  assertEq(pathOf(page), '/dashboard', 'path after sign-in (the admin\'s home)');
  await visit(page, '/programs');
  const names = await page.$$eval('a.program-card h2', (hs) => hs.map((h) => h.textContent.trim()));
  assert(names.length >= 5, `expected at least 5 program cards, got ${names.length}: ${names.join(' | ')}`);
  for (const want of ['沪蒙医疗协作', '京蒙', '沪滇', '豫哈', '宁德']) {
    assert(names.some((n) => n.includes(want)), `no program card containing ${want}: ${names.join(' | ')}`);
  }
  assert(await page.isVisible('[data-testid=new-program]'), 'admin does not see the new-program link');
  await shot(page, 'programs-admin');

  step('sign out returns to the login page and /programs needs a session again');
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('form[action="/logout"] button[type=submit]'),
  ]);
  await visit(page, '/programs');
  assertEq(pathOf(page), '/login', 'path of /programs after sign-out');
}

async function adminCreatesProgramAndPairing(page) {
  await login(page, 'admin');
  assertEq(pathOf(page), '/dashboard', 'path after sign-in (the admin\'s home)');
  await visit(page, '/programs');

  step('open the new-program form from the programs page');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=new-program]')]);
  assertEq(pathOf(page), '/programs/new', 'path of the new-program form');

  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  const name = `端到端测试项目 ${stamp}`;
  step(`fill in and save program "${name}"`);
  await page.fill('input[name=name]', name);
  await page.selectOption('select[name=kind]', 'east-west');
  await page.fill('textarea[name=description]', '由浏览器端到端测试创建，用于检查新建项目与结对流程。');
  await page.fill('input[name=start_date]', '2025-01-01');
  await page.fill('input[name=end_date]', '2027-12-31');
  await pickFrom(page, 'office_institution_id', '上海市卫生', '上海市卫生健康委员会');
  await page.selectOption('select[name=donor_access]', 'read');
  await shot(page, 'program-form-filled');
  await submit(page, 'form[action="/programs"]');
  const m = pathOf(page).match(/^\/programs\/([0-9a-f-]{36})$/);
  assert(m, `after saving, expected /programs/{id}, got ${page.url()}`);
  shared.programName = name;
  shared.programId = m[1];
  assertEq((await page.textContent('h1')).trim(), name, 'program page heading');
  await shot(page, 'program-created');

  step('open the new-pairing form');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=new-pairing]')]);
  assertEq(pathOf(page), `/programs/${shared.programId}/pairings/new`, 'path of the new-pairing form');

  step('choose 上海市第一人民医院 → 宁德市医院, 院包院, two departments');
  await pickFrom(page, 'donor_id', '上海市第一', '上海市第一人民医院');
  await pickFrom(page, 'recipient_id', '宁德市医院');
  await page.selectOption('select[name=level]', 'hospital');
  assertEq(
    await page.$eval('select[name=level]', (s) => s.selectedOptions[0].textContent.trim()),
    '院包院',
    'label of level "hospital"',
  );
  const boxes = page.locator('input[type=checkbox][name=departments]');
  assert((await boxes.count()) >= 2, 'fewer than two department checkboxes');
  await boxes.nth(2).check();
  await boxes.nth(3).check();
  await page.fill('input[name=start_date]', '2025-03-01');
  await page.fill('input[name=end_date]', '2027-02-28');
  await shot(page, 'pairing-form-filled');
  await submit(page, `form[action="/programs/${shared.programId}/pairings"]`);
  assertEq(pathOf(page), `/programs/${shared.programId}`, 'path after saving the pairing');

  step('the program page lists the pairing with donor and recipient names');
  const table = page.locator('[data-testid=pairings-table]');
  await table.waitFor({ state: 'visible' });
  const rows = table.locator('tbody tr');
  assertEq(await rows.count(), 1, 'pairing rows in the new program');
  const rowText = await rows.first().innerText();
  assert(rowText.includes('上海市第一人民医院'), `pairing row lacks the donor: ${rowText}`);
  assert(rowText.includes('宁德市医院'), `pairing row lacks the recipient: ${rowText}`);
  assert(rowText.includes('院包院'), `pairing row lacks the level: ${rowText}`);
  assert((await page.textContent('h1')).includes(name), 'program page heading after the pairing');
  await shot(page, 'program-with-pairing');

  step('the programs list, searched by name, shows the new program with one pairing');
  const found = await searchPrograms(page, name);
  assertEq(JSON.stringify(found), JSON.stringify([name]), 'programs found by searching the new name');
  const meta = await page.locator('a.program-card .meta').first().innerText();
  assert(/\b1\b/.test(meta), `program card does not show 1 pairing: ${meta}`);
  await shot(page, 'programs-search-new');
}

async function invalidProgramFormCreatesNothing(page) {
  await login(page, 'admin');
  await visit(page, '/programs/new');
  const name = `无效日期项目 ${Date.now()}`;
  step('submit a program whose start date is after its end date');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=start_date]', '2026-06-01');
  await page.fill('input[name=end_date]', '2026-01-01');
  const resp = await submit(page, 'form[action="/programs"]');
  assert(resp, 'no response to the form submission');
  assertEq(resp.status(), 422, 'HTTP status of the invalid form');
  const err = page.locator('[data-testid=form-error]');
  await err.waitFor({ state: 'visible' });
  const errText = (await err.textContent()).trim();
  assert(CJK.test(errText), `the form error is not in Chinese: ${JSON.stringify(errText)}`);
  step(`form error: ${errText}`);
  assertEq(await page.inputValue('input[name=name]'), name, 'name kept in the re-rendered form');
  assertEq(await page.inputValue('input[name=start_date]'), '2026-06-01', 'start date kept');
  assertEq(await page.inputValue('input[name=end_date]'), '2026-01-01', 'end date kept');
  await shot(page, 'program-form-error');

  step('searching the programs list for that name finds nothing');
  const found = await searchPrograms(page, name);
  assertEq(found.length, 0, `programs found for "${name}"`);
  await shot(page, 'programs-search-empty');
}

async function languageSwitch(page) {
  await login(page, 'admin');
  await visit(page, '/programs');
  step('Chinese by default');
  assertEq(await page.getAttribute('html', 'lang'), 'zh-CN', 'html lang before switching');
  let nav = await navTexts(page);
  assert(nav.includes('项目'), `nav lacks 项目: ${nav.join(' | ')}`);
  assertEq((await page.textContent('[data-testid=lang-switch]')).trim(), 'English', 'switch link text in Chinese');

  step('switch to English');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=lang-switch]')]);
  assertEq(pathOf(page), '/programs', 'path after switching language (stays on the page)');
  assertEq(await page.getAttribute('html', 'lang'), 'en', 'html lang after switching to English');
  nav = await navTexts(page);
  assert(nav.includes('Programs'), `nav lacks Programs: ${nav.join(' | ')}`);
  assert(!nav.includes('项目'), `nav still shows 项目: ${nav.join(' | ')}`);
  assertEq((await page.textContent('[data-testid=lang-switch]')).trim(), '中文', 'switch link text in English');
  await shot(page, 'programs-english');

  step('English sticks across pages (program page)');
  await page.click('a.program-card');
  await page.waitForLoadState('load');
  assertEq(await page.getAttribute('html', 'lang'), 'en', 'html lang on the program page');
  await shot(page, 'program-english');

  step('switch back to Chinese');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=lang-switch]')]);
  assertEq(await page.getAttribute('html', 'lang'), 'zh-CN', 'html lang after switching back');
  nav = await navTexts(page);
  assert(nav.includes('项目'), `nav lacks 项目 after switching back: ${nav.join(' | ')}`);
  assert(!nav.includes('Programs'), `nav still shows Programs: ${nav.join(' | ')}`);
  assertEq((await page.textContent('[data-testid=lang-switch]')).trim(), 'English', 'switch link text back in Chinese');
  await shot(page, 'program-chinese-again');
}

async function auditLogAndPermissions(page, ctx) {
  assert(shared.programId, 'case 2 did not create a program, nothing to look for in the audit log');
  await login(page, 'admin');
  step('admin: /audit lists the creations by admin');
  await visit(page, '/audit?actor=admin&action=create');
  const table = page.locator('[data-testid=audit-table]');
  await table.waitFor({ state: 'visible' });
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.cells, (td) => td.innerText.trim())),
  );
  // Columns: when, who, action, record (entity + short id), changes; labels are in Chinese
  // (新建 = create, 项目 = program, 结对 = pairing).
  // The actor reads as a name, with the login beneath it.
  const mine = rows.filter((r) => r[1].split('\n').pop().trim() === 'admin' && r[2] === '新建');
  assert(
    mine.some((r) => r[3].startsWith('项目')),
    `no "create program" entry by admin: ${JSON.stringify(rows.slice(0, 5))}`,
  );
  assert(
    mine.some((r) => r[3].startsWith('结对')),
    `no "create pairing" entry by admin: ${JSON.stringify(rows.slice(0, 5))}`,
  );
  // The record column shows the entity and a shortened id ("01a20204-013…"); the changes column
  // the new values. Either must point at the program case 2 created.
  const ours = mine.filter((r) => {
    if (!r[3].startsWith('项目')) return false;
    const shortId = r[3].replace(/^项目\s*/, '').replace(/…$/, '').trim();
    return (shortId.length >= 8 && shared.programId.startsWith(shortId)) || r[4].includes(shared.programName);
  });
  assert(ours.length === 1, `no "create program" entry for ${shared.programId} (${shared.programName})`);
  await shot(page, 'audit-admin');

  step('admin: unfiltered /audit also shows the entries');
  await visit(page, '/audit');
  const all = await page.locator('[data-testid=audit-table]').innerText();
  assert(all.includes('admin'), 'unfiltered audit log does not mention admin');
  assert(all.includes('新建'), 'unfiltered audit log has no create entry');
  await shot(page, 'audit-all');
  await ctx.clearCookies();

  step('clinician: no 用户管理/审计日志 links in the nav');
  await login(page, 'clinician');
  assertEq(pathOf(page), '/inbox', 'clinician lands on 待办 (/inbox)');
  const nav = await navTexts(page);
  assert(nav.includes('项目'), `clinician nav lacks 项目: ${nav.join(' | ')}`);
  assert(!nav.includes('用户管理'), `clinician sees 用户管理: ${nav.join(' | ')}`);
  assert(!nav.includes('审计日志'), `clinician sees 审计日志: ${nav.join(' | ')}`);
  assertEq(await page.locator('a[href="/audit"], a[href="/users"]').count(), 0, 'links to /audit or /users');
  assertEq(await page.locator('[data-testid=new-program]').count(), 0, 'new-program link for a clinician');
  await shot(page, 'programs-clinician');

  step('clinician: GET /audit is a 403 page');
  await visit(page, '/audit', 403);
  assertEq(await page.locator('[data-testid=audit-table]').count(), 0, 'audit table shown to a clinician');
  const body = await page.locator('main').innerText();
  assert(CJK.test(body), `the 403 page is not in Chinese: ${JSON.stringify(body)}`);
  await shot(page, 'audit-forbidden-clinician');

  step('clinician: GET /users is a 403 too');
  await visit(page, '/users', 403);
}

async function phoneViewport(page) {
  const check = async (what) => {
    const { scrollWidth, innerWidth } = await horizontalOverflow(page);
    assert(
      scrollWidth <= innerWidth + 1,
      `${what}: horizontal overflow (scrollWidth ${scrollWidth} > innerWidth ${innerWidth})`,
    );
  };
  step('login page at 390x844');
  await visit(page, '/login');
  await check('login page');
  await shot(page, 'phone-login');

  await login(page, 'admin');
  await visit(page, '/programs');
  step('programs page at 390x844');
  await check('programs page');
  await shot(page, 'phone-programs');

  step('program page at 390x844');
  const target = shared.programId ? `/programs/${shared.programId}` : null;
  if (target) {
    await visit(page, target);
  } else {
    await page.click('a.program-card');
    await page.waitForLoadState('load');
  }
  await check('program page');
  await shot(page, 'phone-program');

  step('a demo program page with many pairings at 390x844');
  await visit(page, '/programs');
  const href = await page
    .locator('a.program-card', { hasText: '沪蒙医疗协作' })
    .first()
    .getAttribute('href');
  await visit(page, href);
  await check('demo program page');
  await shot(page, 'phone-program-demo');
}

async function printStylesheet(page) {
  await login(page, 'admin');
  const target = shared.programId ? `/programs/${shared.programId}` : null;
  if (target) {
    await visit(page, target);
  } else {
    await page.click('a.program-card');
    await page.waitForLoadState('load');
  }
  step('screen media: the top bar is visible');
  assert(await page.isVisible('header.topbar'), 'top bar hidden on screen');

  step('print media: the top bar, buttons and footer are hidden, content stays');
  await page.emulateMedia({ media: 'print' });
  assert(!(await page.isVisible('header.topbar')), 'top bar still visible in print');
  assert(!(await page.isVisible('[data-testid=lang-switch]')), 'language switch still visible in print');
  assert(!(await page.isVisible('footer.footer')), 'footer still visible in print');
  if ((await page.locator('[data-testid=new-pairing]').count()) > 0) {
    assert(!(await page.isVisible('[data-testid=new-pairing]')), 'new-pairing button still visible in print');
  }
  assert(await page.isVisible('h1'), 'program heading hidden in print');
  await shot(page, 'program-print');
  await page.emulateMedia({ media: 'screen' });
  assert(await page.isVisible('header.topbar'), 'top bar hidden after going back to screen media');
}

async function dashboardDrillDownAndBriefing(page, ctx) {
  step('the admin opens the 豫哈 dashboard: headline figures and SVG charts, in Chinese');
  await login(page, 'admin');
  await visit(page, '/dashboard');
  await selectByText(page, '[data-testid=dashboard-filters] select[name=program]', '豫哈');
  await submit(page, '[data-testid=dashboard-filters]');
  const headline = page.locator('[data-testid=dash-headlines] [data-code=consultations] .stat-value');
  const consultations = Number((await headline.textContent()).replace(/,/g, ''));
  assert(consultations > 1000, `豫哈 consultations on the dashboard: ${consultations}`);
  // 豫哈's experts file their workload ("累计参与诊疗患者近6万人次"): its card is there.
  assertEq(await page.locator('[data-testid=dash-headlines] [data-code=workload-outpatients]').count(), 1,
    'the workload card of a program whose experts file workload reports');
  assert((await page.locator('svg.chart').count()) >= 7, 'trend, activity, five compositions, KPI and drill-down charts');
  assert((await page.locator('[data-testid=chart-trend] svg rect').count()) > 3, 'the trend has columns');
  assert((await page.locator('[data-testid=chart-kpis] svg circle').count()) > 2, 'the KPI chart has its points');
  assert(CJK.test(await page.locator('[data-testid=chart-composition]').textContent()), 'chart labels in Chinese');
  await shot(page, 'dashboard');

  step('the headline figure opens exactly that many records');
  await clickAndWait(page, '[data-testid=dash-headlines] [data-code=consultations] a.stat-value');
  assertEq(pathOf(page), '/records', 'the headline links to its records');
  assertEq(Number(await page.getAttribute('[data-testid=records-total]', 'data-total')), consultations, 'records behind the headline');
  const tableText = await page.locator('[data-testid=records-table]').textContent();
  assert(/已结束|已签发|已会诊/.test(tableText), 'states read as labels, not codes');
  assert(!/\b(closed|signed|routine|difficult-case)\b/.test(tableText), 'no raw codes in the records table');
  await page.goBack({ waitUntil: 'load' });

  step('drill down: the province, then the next level, then an institution and its records');
  const regionLink = page.locator('[data-testid=chart-regions] a.chart-link').first();
  const regionValue = Number(await regionLink.getAttribute('data-value'));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), regionLink.click()]);
  assert(/region=\d{6}/.test(page.url()), `a region was chosen: ${page.url()}`);
  assertEq(await page.locator('[data-testid=dash-trail] a').count(), 1, 'the trail leads back to all regions');
  const inRegion = Number((await headline.textContent()).replace(/,/g, ''));
  assertEq(inRegion, regionValue, 'the region total equals its bar');
  if ((await page.locator('[data-testid=chart-regions] a.chart-link').count()) > 0) {
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.locator('[data-testid=chart-regions] a.chart-link').first().click(),
    ]);
    assertEq(await page.locator('[data-testid=dash-trail] a').count(), 2, 'two levels up in the trail');
  }
  await shot(page, 'dashboard-drilled');
  const institution = page.locator('[data-testid=chart-institutions] a.chart-link').first();
  const institutionValue = Number(await institution.getAttribute('data-value'));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), institution.click()]);
  assertEq(pathOf(page), '/records', 'an institution opens its records');
  assertEq(Number(await page.getAttribute('[data-testid=records-total]', 'data-total')), institutionValue, 'records behind the institution bar');
  assert((await page.locator('[data-testid=records-table] tbody tr').count()) > 0, 'the records are listed');
  await shot(page, 'dashboard-records');

  step('the briefing downloads as a Word file');
  await page.goBack({ waitUntil: 'load' });
  await clickAndWait(page, '[data-testid=dash-briefing]');
  assert(pathOf(page).endsWith('/briefing'), `the briefing page: ${page.url()}`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid=briefing-docx]'),
  ]);
  assert(download.suggestedFilename().endsWith('.docx'), `file name ${download.suggestedFilename()}`);
  const file = await download.path();
  const bytes = readFileSync(file);
  assert(bytes.length > 2000 && bytes[0] === 0x50 && bytes[1] === 0x4b, 'a DOCX is a zip file');
  await shot(page, 'briefing');
}

export const CASES = [
  ['1 sign-in failure and success', signInFailureAndSuccess],
  ['2 admin creates a program and a pairing', adminCreatesProgramAndPairing],
  ['3 an invalid program form creates nothing', invalidProgramFormCreatesNothing],
  ['4 language switch to English and back', languageSwitch],
  ['5 audit log and clinician permissions', auditLogAndPermissions],
  ['6 phone-sized viewport without horizontal overflow', phoneViewport, PHONE],
  ['7 print stylesheet hides the top bar', printStylesheet],
  ['dashboard: drill down from region to institution to records; the briefing downloads', dashboardDrillDownAndBriefing],
];
