// Browser cases for referrals: the receiver accepts with the appointment, the ward or bed and a
// named contact (every problem at once first), and the sender sees them; the board's finished
// column opens the full, searchable list; the form offers hospitals, not health commissions.

import {
  shot,
  step,
  assert,
  assertEq,
  pathOf,
  visit,
  submit,
  login,
  fixture,
  clickAndWait,
  stateText,
  apiOk,
  noOverflow,
  PASSWORD,
  PHONE,
} from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

async function token(username) {
  const r = await apiOk('POST', '/api/v1/auth/token', { username, password: PASSWORD }, undefined, 201);
  return r.token;
}

function acceptedReferral(label) {
  return async (page, ctx) => {
    const f = await fixture();

    step('the clinician opens the referral form: hospitals only, and a referral\'s urgency words');
    await login(page, 'clinician');
    await visit(page, `/referrals/new?to=${f.henan.id}`);
    const receivers = await page.$$eval('select[name=to] option, select[name=to_institution_id] option', (os) => os.map((o) => o.textContent));
    assert(receivers.length > 0, 'receivers are offered');
    assert(receivers.every((r) => !r.includes('卫生健康委') && !r.includes('卫健委')), `a health commission is offered: ${receivers.filter((r) => r.includes('卫')).join(', ')}`);
    const urgencies = await page.$$eval('select[name=urgency] option', (os) => os.map((o) => o.textContent.trim()));
    assert(!urgencies.includes('急会诊'), `urgency reads: ${urgencies.join(', ')}`);
    assert(urgencies.includes('紧急转诊'), `urgency reads: ${urgencies.join(', ')}`);
    await noOverflow(page, 'the referral form');
    await shot(page, `referral-form-${label}`);

    step('the clinician refers a patient up (through the API, the form has its own case)');
    const clinician = await token('clinician');
    const r = await apiOk(
      'POST',
      '/api/v1/referrals',
      {
        direction: 'up',
        urgency: 'urgent',
        to_institution_id: f.henan.id,
        patient: { name: '努尔古丽', sex: 'female', age: 61 },
        reason: '冠脉造影示三支病变，需上级医院评估冠脉搭桥手术。',
      },
      clinician,
      201,
    );

    step('河南省人民医院\'s coordinator accepts: three mistakes show three errors, nothing changes');
    await ctx.clearCookies();
    await login(page, 'coord-donor');
    await visit(page, `/referrals/${r.id}`);
    await page.fill('[data-testid=accept-form] input[name=contact_phone]', '12345');
    const refused = await submit(page, '[data-testid=accept-form]');
    assertEq(refused.status(), 422, 'status of an incomplete acceptance');
    for (const field of ['appointment_at', 'ward', 'contact_name', 'contact_phone']) {
      await page.locator(`[data-testid=error-${field}]`).waitFor({ state: 'visible' });
    }
    assertEq(await stateText(page, 'referral-state'), '已发起', 'nothing changed');
    await shot(page, `referral-accept-errors-${label}`);
    await page.fill('[data-testid=accept-form] input[name=appointment_at]', '2026-12-10T08:30');
    await page.fill('[data-testid=accept-form] input[name=ward]', '心血管外科 5 病区 23 床');
    await page.fill('[data-testid=accept-form] input[name=contact_name]', '陈晓燕');
    await page.fill('[data-testid=accept-form] input[name=contact_phone]', '0371-65580123');
    await clickAndWait(page, '[data-testid=action-accept]');
    assertEq(await stateText(page, 'referral-state'), '已接收', 'after accept');

    step('the sender sees the appointment, the ward and whom to call, and who accepted by name');
    await ctx.clearCookies();
    await login(page, 'clinician');
    await visit(page, `/referrals/${r.id}`);
    assertEq(await stateText(page, 'acceptance-appointment'), '2026-12-10 08:30', 'the appointment');
    assertEq(await stateText(page, 'acceptance-ward'), '心血管外科 5 病区 23 床', 'the ward');
    assert((await stateText(page, 'acceptance-contact')).startsWith('陈晓燕'), 'the contact');
    assertEq(await page.getAttribute('[data-testid=acceptance-phone]', 'href'), 'tel:0371-65580123', 'a phone to tap');
    assertEq(await stateText(page, 'referral-urgency'), '紧急转诊', 'the urgency label');
    const actors = await page.locator('[data-testid=timeline-actor]').allInnerTexts();
    assert(actors.some((a) => a.startsWith('陈晓燕 · 管理人员 · 河南省人民医院')), `who accepted: ${actors.join(' | ')}`);
    assert(actors.some((a) => a.startsWith(`王海军 · 主治医师 · ${f.hongxing.name}`)), `who referred: ${actors.join(' | ')}`);
    assert(actors.every((a) => !/^(clinician|coord-donor)\b/.test(a)), `logins: ${actors.join(' | ')}`);
    await noOverflow(page, 'the referral page');
    await shot(page, `referral-accepted-sender-${label}`);

    step('the board\'s finished column opens the full, searchable list');
    await visit(page, '/referrals');
    await clickAndWait(page, '[data-testid=closed-list-link]');
    assertEq(pathOf(page), '/referrals/closed', 'the finished list');
    const all = await page.locator('[data-testid=closed-referral]').count();
    assert(all > 0, 'finished referrals are listed');
    await page.fill('[data-testid=closed-search] input[name=q]', '康复');
    await submit(page, '[data-testid=closed-search]');
    const found = await page.locator('[data-testid=closed-referral], [data-testid=closed-empty]').count();
    assert(found > 0, 'the search answers');
    await noOverflow(page, 'the finished list');
    await shot(page, `referrals-finished-${label}`);
  };
}

export const CASES = [
  ['clinician: a referral accepted with appointment, ward and contact shows them to the sender (desk)', acceptedReferral('desk'), DESK],
  ['clinician: a referral accepted with appointment, ward and contact shows them to the sender (phone)', acceptedReferral('phone'), PHONE],
];
