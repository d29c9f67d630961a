// Browser cases for institution coordinators: clinic days, techniques, mentorship, imports, KPI reports.

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
  CJK,
  api,
  apiOk,
  shanghaiDate,
  idNumber,
  fixture,
  newExpert,
  newSession,
  noOverflow,
  clickAndWait,
  stateText,
  selectByText,
  localStaff,
  PHONE,
  pickFrom,
} from '../lib.mjs';

async function coordinatorChecksInAPatient(page) {
  const f = await fixture();
  const expert = await newExpert(f, '上官');
  const session = await newSession(f, expert, 0, 5, 'expert');
  const phone = '13598765432';
  const booking = await apiOk(
    'POST',
    `/api/v1/public/sessions/${session.id}/bookings`,
    { name: '陈桂芳', phone, id_number: idNumber('19620909', '318') },
    undefined,
    201,
  );
  step(`fixture: a session today (${session.date}) with booking ${booking.booking_code}`);

  await login(page, 'coord-recipient');
  const nav = await navTexts(page);
  assert(nav.includes('派驻') && nav.includes('出诊'), `nav lacks 派驻/出诊: ${nav.join(' | ')}`);
  step('/clinic-sessions filtered to 红星医院 lists the session with its counts');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('nav.mainnav a[href="/clinic-sessions"]')]);
  await page.selectOption('[data-testid=clinic-filters] select[name=institution]', f.hongxing.id);
  await submit(page, '[data-testid=clinic-filters]');
  const row = page.locator(`[data-testid=session-row][data-id="${session.id}"]`);
  await row.waitFor({ state: 'visible' });
  const rowText = await row.innerText();
  assert(rowText.includes(expert.name) && rowText.includes(session.date), `session row: ${rowText}`);
  const cells = await row.locator('td.num').allInnerTexts();
  assertEq(JSON.stringify(cells.map((s) => s.trim())), JSON.stringify(['5', '1', '0']), 'capacity / booked / waitlisted');
  await shot(page, 'clinics-list-coordinator');

  step('the session page lists the booking, masked, and checks it in');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), row.locator('[data-testid=session-link]').click()]);
  const brow = page.locator(`[data-testid=booking-row][data-code="${booking.booking_code}"]`);
  await brow.waitFor({ state: 'visible' });
  const browText = await brow.innerText();
  assert(browText.includes('陈**') && browText.includes('135****5432'), `booking row not masked as stored: ${browText}`);
  assert(!browText.includes(phone), 'booking row shows the full phone number');
  assertEq((await brow.locator('[data-testid=booking-status]').textContent()).trim(), '已预约', 'status before check-in');
  await shot(page, 'clinic-session-before-check-in');
  await brow.locator('[data-testid=check-in]').click(); // opens the confirm step
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), brow.locator('[data-testid=confirm-check-in]').click()]);
  assertEq(pathOf(page), `/clinic-sessions/${session.id}`, 'back on the session page after check-in');
  const statusAfter = await page
    .locator(`[data-testid=booking-row][data-code="${booking.booking_code}"] [data-testid=booking-status]`)
    .textContent();
  assertEq(statusAfter.trim(), '已签到', 'status after check-in');
  assertEq(await page.locator(`[data-testid=booking-row][data-code="${booking.booking_code}"] [data-testid=check-in]`).count(), 0, 'check-in button after check-in');
  await shot(page, 'clinic-session-checked-in');
  const lookup = await apiOk('POST', '/api/v1/public/bookings/lookup', { booking_code: booking.booking_code, phone });
  assertEq(lookup.status, 'checked-in', 'status seen by the patient');
}

async function coordinatorPublishesCancelsAndCalls(page) {
  const f = await fixture();
  const expert = await newExpert(f, '诸葛', []);
  // An assignment of the expert at 红星医院, so that the coordinator can choose them.
  const scheme = await apiOk('POST', '/api/v1/dispatch-schemes', { program_id: f.program.id, name: `柔性援疆 ${Date.now()}` }, f.token, 201);
  const batch = await apiOk(
    'POST',
    '/api/v1/batches',
    { program_id: f.program.id, scheme_id: scheme.id, number: 9000 + Math.floor(Math.random() * 999), start_date: shanghaiDate(-30), end_date: shanghaiDate(150) },
    f.token,
    201,
  );
  await apiOk(
    'POST',
    '/api/v1/assignments',
    { batch_id: batch.id, person_id: expert.id, institution_id: f.hongxing.id, department_id: f.department.id, mode: 'stationed', post: 'department-head', start_date: shanghaiDate(-20), end_date: shanghaiDate(140) },
    f.token,
    201,
  );
  await login(page, 'coord-recipient');
  step('/clinic-sessions/new: an end before the start is refused next to the field');
  await visit(page, '/clinic-sessions/new');
  const form = '[data-testid=session-form]';
  await page.selectOption(`${form} select[name=expert_id]`, expert.id);
  await page.selectOption(`${form} select[name=department_id]`, f.department.id);
  await page.fill(`${form} input[name=date]`, shanghaiDate(5));
  await page.fill(`${form} input[name=start]`, '14:00');
  await page.fill(`${form} input[name=end]`, '13:00');
  await page.fill(`${form} input[name=capacity]`, '3');
  const bad = await submit(page, form);
  assertEq(bad.status(), 422, 'HTTP status of an end before the start');
  await page.locator('[data-testid=error-end]').waitFor({ state: 'visible' });
  assertEq(await page.inputValue(`${form} select[name=expert_id]`), expert.id, 'expert kept');
  await shot(page, 'clinic-form-error');

  step('corrected, the session is published');
  await page.fill(`${form} input[name=end]`, '17:00');
  await submit(page, form);
  const m = pathOf(page).match(/^\/clinic-sessions\/([0-9a-f-]{36})$/);
  assert(m, `after publishing, expected /clinic-sessions/{id}, got ${page.url()}`);
  const sessionId = m[1];
  assert((await page.textContent('h1')).includes(expert.name), 'session page heading');

  step('a patient books it; the coordinator cancels the session after a confirmation step');
  const phone = '18811112222';
  const booking = await apiOk('POST', `/api/v1/public/sessions/${sessionId}/bookings`, { name: '刘德明', phone, id_number: idNumber('19550505', '777') }, undefined, 201);
  await visit(page, `/clinic-sessions/${sessionId}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=cancel-session]')]);
  assertEq(pathOf(page), `/clinic-sessions/${sessionId}/cancel`, 'the confirmation step');
  assert((await page.textContent('[data-testid=cancel-affected]')).includes('1'), 'affected count on the confirmation');
  await shot(page, 'clinic-cancel-confirm');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=confirm-cancel]')]);
  assertEq(pathOf(page), `/clinic-sessions/${sessionId}`, 'back on the session after cancelling');
  assertEq((await page.textContent('[data-testid=session-status]')).trim(), '已停诊', 'session status');
  const list = page.locator('[data-testid=to-contact]');
  await list.waitFor({ state: 'visible' });
  assert((await list.innerText()).includes('需联系的患者'), 'the 需联系的患者 heading');
  assert(!(await list.innerText()).includes(phone), 'full phone shown before asking');

  step('显示联系方式 reveals the phone number (POST, audited)');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=reveal-contact]')]);
  assert(!page.url().includes(phone), 'phone number in the URL');
  const revealed = (await page.textContent('[data-testid=contact-revealed]')).trim();
  assert(revealed.includes(phone) && revealed.includes('刘德明'), `revealed contact: ${revealed}`);
  await shot(page, 'clinic-cancelled-contact');
  const li = await page.locator('[data-testid=contact-revealed]').locator('xpath=ancestor::li').getAttribute('id');
  const bookingId = li.replace(/^b-/, '');
  const audit = await apiOk('GET', `/api/v1/audit?entity=booking_contact&entity_id=${bookingId}&actor=coord-recipient`, undefined, f.token);
  assertEq(audit.total, 1, `audit entries for reading booking ${booking.booking_code}'s contact`);
}

async function techniqueToIndependence(page) {
  const f = await fixture();
  const expert = await newExpert(f, '司马', []);
  const [local] = await localStaff(f, 1);
  const name = `经皮冠状动脉腔内旋磨术-${Date.now() % 100000}`;
  step(`fixture: donor expert ${expert.name} (河南省人民医院), local staff ${local.name} (${f.hongxing.name})`);

  step('the recipient coordinator opens 能力建设 from the navigation: the techniques list, in Chinese');
  await login(page, 'coord-recipient');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=nav-capacity]')]);
  assertEq(pathOf(page), '/techniques', 'capacity area opens on techniques');
  assertEq((await page.textContent('h1')).trim(), '技术引进', 'heading');
  const tabs = await page.$$eval('[data-testid=capacity-tabs] a', (as) => as.map((a) => a.textContent.trim()));
  assertEq(tabs.join(','), '技术引进,师带徒,教学活动,进修,下沉活动,专科建设,资源', 'capacity tabs');
  await shot(page, 'techniques-list');

  step('an empty search shows the empty state');
  await page.fill('[data-testid=capacity-filters] input[name=q]', '不存在的技术名称');
  await submit(page, '[data-testid=capacity-filters]');
  await page.locator('[data-testid=capacity-empty]').waitFor({ state: 'visible' });

  step('record the new technique: a county gap claim, introduced by the donor expert under the pairing');
  await visit(page, '/techniques/new');
  const form = '[data-testid=capacity-form]';
  await page.fill(`${form} input[name=name]`, name);
  await page.selectOption(`${form} select[name=surgical_grade]`, '4');
  await page.selectOption(`${form} select[name=gap_level]`, 'county');
  await selectByText(page, `${form} select[name=pairing_id]`, '河南省人民医院');
  await pickFrom(page, 'expert_id', expert.name, expert.name, form);
  await page.fill(`${form} input[name=introduced_on]`, shanghaiDate(-30));
  await shot(page, 'technique-form');
  await submit(page, form);
  assert(/^\/techniques\/[0-9a-f-]+$/.test(pathOf(page)), `after create: ${page.url()}`);
  const techniqueUrl = pathOf(page);
  assertEq(await stateText(page, 'technique-stage'), '引进', 'stage after introduction');
  await page.locator('[data-testid=technique-created]').waitFor({ state: 'visible' });
  assertEq(await page.locator('[data-testid=gap-warning]').count(), 0, 'no gap warning for a first record');

  step('log a case performed by the expert (demonstration) and advance to 专家示范');
  const caseForm = '[data-testid=case-form]';
  await page.fill(`${caseForm} input[name=performed_on]`, shanghaiDate(-20));
  await page.selectOption(`${caseForm} select[name=operator_id]`, expert.id);
  await submit(page, caseForm);
  await page.selectOption('[data-testid=stage-form] select[name=stage]', 'demonstrated');
  await page.fill('[data-testid=stage-form] input[name=on]', shanghaiDate(-20));
  await submit(page, '[data-testid=stage-form]');
  assertEq(await stateText(page, 'technique-stage'), '专家示范', 'stage after the demonstration');

  step('try to mark it independent with only the expert\'s case: refused with the rule, nothing changes');
  await page.selectOption('[data-testid=stage-form] select[name=stage]', 'independent');
  const refused = await submit(page, '[data-testid=stage-form]');
  assertEq(refused.status(), 409, 'status of a refused independence');
  const refusal = (await page.textContent('[data-testid=stage-error]')).trim();
  assert(refusal.includes('本院人员'), `refusal message: ${refusal}`);
  assertEq(await stateText(page, 'technique-stage'), '专家示范', 'stage after the refusal');
  await shot(page, 'technique-independent-refused');

  step('a supervised case by local staff (the expert supervising) and the stage 指导下开展');
  await visit(page, techniqueUrl);
  await page.fill(`${caseForm} input[name=performed_on]`, shanghaiDate(-10));
  await page.selectOption(`${caseForm} select[name=operator_id]`, local.id);
  await page.selectOption(`${caseForm} select[name=supervisor_id]`, expert.id);
  await submit(page, caseForm);
  await page.selectOption('[data-testid=stage-form] select[name=stage]', 'supervised');
  await page.fill('[data-testid=stage-form] input[name=on]', shanghaiDate(-10));
  await submit(page, '[data-testid=stage-form]');
  assertEq(await stateText(page, 'technique-stage'), '指导下开展', 'stage after supervision');

  step('an independent case by local staff, then 独立开展 is accepted');
  await page.fill(`${caseForm} input[name=performed_on]`, shanghaiDate(-1));
  await page.selectOption(`${caseForm} select[name=operator_id]`, local.id);
  await submit(page, caseForm);
  await page.selectOption('[data-testid=stage-form] select[name=stage]', 'independent');
  await submit(page, '[data-testid=stage-form]');
  assertEq(await stateText(page, 'technique-stage'), '独立开展', 'stage at the end');

  step('the timeline shows every stage with a date, the case log shows who operated');
  const steps = await page.$$eval('[data-testid=technique-step]', (ls) => ls.map((l) => [l.className, l.innerText]));
  assertEq(steps.length, 4, 'stages shown');
  for (const [cls, text] of steps) assert(cls.includes('done') && /\d{4}-\d{2}-\d{2}/.test(text), `stage not reached: ${text}`);
  assertEq(await page.locator('[data-testid=timeline-event]').count(), 3, 'stage changes in the timeline');
  const rows = await page.$$eval('[data-testid=case-row]', (rs) => rs.map((r) => r.innerText));
  assertEq(rows.length, 3, 'cases logged');
  assert(rows.filter((r) => r.includes('本院人员')).length === 2, `local cases: ${rows}`);
  assert(rows.some((r) => r.includes(expert.name) && r.includes('支援专家')), `the expert's case: ${rows}`);
  await shot(page, 'technique-independent');

  step('the same technique claimed again as a county first names the earlier record');
  await visit(page, '/techniques/new');
  await page.fill(`${form} input[name=name]`, name);
  await page.selectOption(`${form} select[name=gap_level]`, 'county');
  await submit(page, form);
  const warning = (await page.textContent('[data-testid=gap-warning]')).trim();
  assert(warning.includes(f.hongxing.name) && warning.includes(shanghaiDate(-30)), `gap warning: ${warning}`);
  await shot(page, 'technique-gap-warning');

  step('the institution page shows what was built here, linking to the filtered lists');
  await visit(page, `/institutions/${f.hongxing.id}`);
  await page.locator('[data-testid=built-here]').waitFor({ state: 'visible' });
  const built = Number((await page.textContent('[data-testid=built-techniques]')).trim());
  assert(built >= 2, `techniques built at ${f.hongxing.name}: ${built}`);
  await shot(page, 'institution-built-here');
}

async function techniquePageOnPhone(page) {
  const f = await fixture();
  const list = await apiOk('GET', `/api/v1/techniques?institution=${f.hongxing.id}&per_page=1`, undefined, f.token);
  assert(list.items.length === 1, 'no technique at 红星医院');
  await login(page, 'coord-recipient');
  await visit(page, `/techniques/${list.items[0].id}`);
  await noOverflow(page, 'technique page on a phone');
  await shot(page, 'technique-phone');
  await visit(page, '/techniques');
  await noOverflow(page, 'techniques list on a phone');
  await shot(page, 'techniques-list-phone');
}

async function mentorFullAtFourth(page, ctx) {
  const f = await fixture();
  const mentor = await newExpert(f, '诸葛', []);
  const staff = await localStaff(f, 4);
  step(`fixture: mentor ${mentor.name}; apprentices ${staff.map((p) => p.name).join('、')}`);
  await login(page, 'coord-recipient');
  await visit(page, '/mentorships');
  assertEq((await page.textContent('h1')).trim(), '师带徒', 'heading');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=new-record]')]);
  const form = '[data-testid=capacity-form]';
  await pickFrom(page, 'mentor_id', mentor.name, mentor.name, form);
  await page.fill(`${form} input[name=term_start]`, shanghaiDate(0));
  await page.fill(`${form} input[name=subject]`, '心血管介入');
  await submit(page, form);
  assert(/^\/mentorships\/[0-9a-f-]+$/.test(pathOf(page)), `after create: ${page.url()}`);
  step('three apprentices in the term are accepted');
  for (const p of staff.slice(0, 3)) {
    await page.selectOption('[data-testid=apprentice-form] select[name=person_id]', p.id);
    await submit(page, '[data-testid=apprentice-form]');
  }
  assertEq(await page.locator('[data-testid=apprentice]').count(), 3, 'apprentices listed');
  step('a fourth is refused with the clear message, and nothing is added');
  await page.selectOption('[data-testid=apprentice-form] select[name=person_id]', staff[3].id);
  const resp = await submit(page, '[data-testid=apprentice-form]');
  assertEq(resp.status(), 409, 'status of the fourth apprentice');
  const msg = (await page.textContent('[data-testid=apprentice-error]')).trim();
  assert(msg.includes('已满额') && msg.includes('3'), `message: ${msg}`);
  assertEq(await page.locator('[data-testid=apprentice]').count(), 3, 'apprentices after the refusal');
  await shot(page, 'mentor-full');
  step('a progress note');
  await page.fill('[data-testid=note-form] textarea[name=note]', '第一周：完成冠脉造影规范化操作带教');
  await submit(page, '[data-testid=note-form]');
  await page.locator('[data-testid=note]').first().waitFor({ state: 'visible' });
  await shot(page, 'mentorship-page');
  step('resources as the platform admin: the demo funding (沪滇, 8300余万) totals exactly ¥83,264,000.00');
  await ctx.clearCookies();
  await login(page, 'admin');
  await visit(page, '/funding-items');
  assertEq((await page.textContent('[data-testid=money-total]')).trim(), '¥83,264,000.00', 'funding total');
  const amounts = await page.$$eval('[data-testid=capacity-row] td.num', (tds) => tds.map((t) => t.textContent.trim()));
  assert(amounts.length > 0 && amounts.every((a) => /^¥\d{1,3}(,\d{3})*\.\d{2}$/.test(a)), `amounts: ${amounts}`);
  await shot(page, 'funding-items');
  await visit(page, '/equipment-donations');
  await page.locator('[data-testid=money-total]').waitFor({ state: 'visible' });
  await shot(page, 'equipment-donations');
}

async function importWithABadRowThenFixed(page) {
  const f = await fixture();
  const stamp = Date.now() % 1000000;
  const csv = (badDate) =>
    '机构*,类型*,日期*,主题*,地点,线上,时长（分钟）*,参加人次\n' +
    `${f.hongxing.name},教学查房,2025-03-10,导入测试查房-${stamp}-1,示教室,否,60,20\n` +
    `${f.hongxing.name},学术讲座,${badDate},导入测试讲座-${stamp}-2,会议室,否,90,45\n`;
  const upload = async (text) => {
    await page.selectOption('[data-testid=import-kind]', 'teaching-activities');
    await page.setInputFiles('[data-testid=import-file]', {
      name: 'teaching.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(text, 'utf8'),
    });
    return submit(page, '[data-testid=import-form]');
  };

  step('the recipient coordinator opens 数据导入 from the navigation');
  await login(page, 'coord-recipient');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=nav-import]')]);
  assertEq(pathOf(page), '/import', 'import page');

  step('a file with an impossible date: the report names row 3, column 日期, and nothing is written');
  const resp = await upload(csv('2025-02-30'));
  assertEq(resp.status(), 422, 'dry run with a bad row');
  const errors = await page.$$eval('[data-testid=import-error] td', (tds) => tds.map((td) => td.textContent.trim()));
  assertEq(errors.slice(0, 2).join(','), '3,日期', 'error row and column');
  assert(CJK.test(errors[2]), `the message is in Chinese: ${errors[2]}`);
  assertEq(await page.locator('[data-testid=import-confirm]').count(), 0, 'no confirm button while a row is bad');
  await shot(page, 'import-bad-row');

  step('the fixed file checks clean; confirming imports both rows');
  await upload(csv('2025-03-12'));
  assert((await page.textContent('[data-testid=import-summary]')).includes('新建 2'), 'two new rows');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=import-confirm]')]);
  await page.locator('[data-testid=import-done]').waitFor({ state: 'visible' });
  const found = await apiOk('GET', `/api/v1/teaching-activities?q=${encodeURIComponent(`导入测试讲座-${stamp}`)}`, undefined, f.token);
  assertEq(found.total, 1, 'the imported lecture is listed');
  await shot(page, 'import-done');
}

async function kpiReportSubmittedApprovedLocked(page, ctx) {
  step('the coordinator of 红星医院 opens a report for 2026-Q1 under 豫哈');
  await login(page, 'coord-recipient');
  await visit(page, '/kpis');
  await page.locator('[data-testid=kpi-reports], [data-testid=kpis-empty]').first().waitFor({ state: 'visible' });
  await selectByText(page, '[data-testid=kpi-new-form] select[name=program_id]', '豫哈');
  await page.fill('[data-testid=kpi-period]', '2026-Q1');
  await submit(page, '[data-testid=kpi-new-form]');
  const m = pathOf(page).match(/^\/kpis\/([0-9a-f-]{36})$/);
  assert(m, `after creating: ${page.url()}`);
  const reportPath = pathOf(page);
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'draft', 'state of a new report');

  step('a value that is not a number is refused beside its field; nothing is submitted');
  const satisfaction = '[data-testid=kpi-row][data-code=patient-satisfaction]';
  const stay = '[data-testid=kpi-row][data-code=average-length-of-stay]';
  await page.fill(`${satisfaction} input[name="value:patient-satisfaction"]`, '九十四');
  await page.fill(`${stay} input[name="value:average-length-of-stay"]`, '8.50');
  await page.fill(`${stay} input[name="baseline:average-length-of-stay"]`, '8.92');
  await page.fill(`${stay} input[name="target:average-length-of-stay"]`, '8.80');
  await clickAndWait(page, '[data-testid=kpi-save-submit]');
  const err = page.locator(`${satisfaction} [data-testid=kpi-value-error]`);
  assert(await err.isVisible(), 'the error is shown beside the satisfaction value');
  assert(CJK.test(await err.textContent()), 'the error is in Chinese');
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'draft', 'still a draft');
  await shot(page, 'kpi-value-error');

  step('with a proper value the report is saved and submitted');
  await page.fill(`${satisfaction} input[name="value:patient-satisfaction"]`, '94.5');
  await page.fill(`${satisfaction} input[name="target:patient-satisfaction"]`, '93');
  await clickAndWait(page, '[data-testid=kpi-save-submit]');
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'submitted', 'state after submitting');
  assertEq(await page.locator('[data-testid=kpi-value-input]').count(), 0, 'a submitted report has no inputs');
  assertEq(await page.locator('[data-testid=kpi-approve]').count(), 0, 'the coordinator cannot approve');
  await shot(page, 'kpi-submitted');

  step('the program office approves it; the page shows it locked and read-only');
  await ctx.clearCookies();
  await login(page, 'office');
  await visit(page, '/kpis?state=submitted');
  assert((await page.locator('[data-testid=kpi-report-row]').count()) >= 1, 'submitted reports are listed');
  await visit(page, reportPath);
  await clickAndWait(page, '[data-testid=kpi-approve]');
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'approved', 'state after approval');
  assert(await page.locator('[data-testid=kpi-locked]').isVisible(), 'the lock mark is shown');
  assertEq(await page.locator('[data-testid=kpi-value-input]').count(), 0, 'no inputs on a locked report');
  const values = await page.$$eval('[data-testid=kpi-value]', (tds) => tds.map((t) => t.textContent.trim()));
  assert(values.some((v) => v.startsWith('94.50')), `the approved value is shown exactly: ${values}`);

  step('reopening without a reason is refused beside the reason field');
  await clickAndWait(page, '[data-testid=kpi-reopen]');
  assert(await page.locator('[data-testid=kpi-reason-error]').isVisible(), 'the reason error is shown');
  assertEq(await page.getAttribute('[data-testid=kpi-state]', 'data-state'), 'approved', 'still approved');
  await shot(page, 'kpi-approved-locked');
}

export const CASES = [
  ['10 the recipient coordinator checks a patient in', coordinatorChecksInAPatient],
  ['11 a coordinator publishes, cancels and calls the patient', coordinatorPublishesCancelsAndCalls],
  ['15 a technique from introduction to independence; the gap check', techniqueToIndependence],
  ['16 the technique page on a phone', techniquePageOnPhone, PHONE],
  ['17 a fourth apprentice is refused with a clear message', mentorFullAtFourth],
  ['import: a bad row is reported by row and column; the fixed file imports', importWithABadRowThenFixed],
  ['kpis: a coordinator submits a period, the office approves, the page shows it locked', kpiReportSubmittedApprovedLocked],
];
