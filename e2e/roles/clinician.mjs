// Browser cases for clinicians (and the expert who answers): consultations and referrals.

import {
  HERE,
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
  horizontalOverflow,
  CJK,
  shared,
  fixture,
  demoExpert,
  clickAndWait,
  stateText,
} from '../lib.mjs';
import path from 'node:path';

async function consultationWithDicom(page, ctx) {
  const f = await fixture();
  const expert = await demoExpert(f);
  const fixturePath = path.join(HERE, 'fixtures', 'ct-synthetic.dcm');

  step('the clinician of 红星医院 sees 会诊 and 转诊 in the navigation');
  await login(page, 'clinician');
  const nav = await navTexts(page);
  assert(nav.includes('会诊') && nav.includes('转诊'), `clinician nav: ${nav.join(' | ')}`);
  await clickAndWait(page, 'nav.mainnav a[href="/consultations"]');
  await page.locator('[data-testid=queue-tabs]').waitFor({ state: 'visible' });
  await shot(page, 'consultation-queue-clinician');

  step('the request form offers 河南省人民医院 (the paired donor) and its experts');
  await clickAndWait(page, '[data-testid=new-consultation]');
  if ((await page.locator('[data-testid=consultation-form]').count()) === 0) {
    await page.selectOption('[data-testid=target-picker] select[name=target]', f.henan.id);
    await submit(page, '[data-testid=target-picker]');
  }
  assertEq(await page.inputValue('[data-testid=target-name]'), f.henan.name, 'target hospital');
  await page.selectOption('select[name=type]', 'imaging');
  await page.selectOption('select[name=urgency]', 'urgent');
  await page.selectOption('select[name=chair_id]', expert.id);
  await page.fill('input[name="patient.name"]', '买买提江');
  await page.selectOption('select[name="patient.sex"]', 'male');
  await page.fill('input[name="patient.age"]', '58');
  await page.fill('textarea[name=case_summary]', '男，58岁，反复咳嗽伴痰中带血2月。胸部CT示右肺上叶占位，约3.2cm，边缘毛刺。');
  await page.fill('textarea[name=question]', '请协助判读胸部CT，明确占位性质并建议下一步诊疗方案。');
  await page.setInputFiles('[data-testid=files-input]', fixturePath);
  await shot(page, 'consultation-request-form');

  step('submitting creates the consultation and stores the CT study with its preview');
  await submit(page, '[data-testid=consultation-form]');
  const m = pathOf(page).match(/^\/consultations\/([0-9a-f-]{36})$/);
  assert(m, `after submitting: ${page.url()}`);
  const id = m[1];
  assertEq(await stateText(page, 'consultation-state'), '已申请', 'state after the request');
  assertEq(await page.locator('[data-testid=attachment][data-kind=dicom]').count(), 1, 'DICOM attachments');
  assertEq(await stateText(page, 'dicom-modality'), 'CT', 'modality');
  const masked = (await page.locator('h1').innerText()).trim();
  assert(!masked.includes('买买提江'), `the patient's name is shown unmasked: ${masked}`);

  step('a renamed text file claiming .dcm is refused with a clear message');
  await page.setInputFiles('[data-testid=upload-form] input[type=file]', {
    name: 'not-really.dcm',
    mimeType: 'application/dicom',
    buffer: Buffer.from('this is a text file, not a DICOM study\n'.repeat(20)),
  });
  const refused = await submit(page, '[data-testid=upload-form]');
  assertEq(refused.status(), 422, 'status of the refused upload');
  const fileError = (await page.textContent('[data-testid=error-file]')).trim();
  assert(fileError.includes('not-really.dcm') && CJK.test(fileError), `file error: ${fileError}`);
  assertEq(await page.locator('[data-testid=attachment]').count(), 1, 'attachments after the refused file');
  await shot(page, 'consultation-fake-dicom-refused');

  step('the expert finds it in the inbox and the queue, and sees the DICOM preview');
  await ctx.clearCookies();
  await login(page, 'expert');
  await visit(page, '/inbox');
  const inboxRow = page.locator(`[data-testid=inbox-consultation][data-id="${id}"]`);
  await inboxRow.waitFor({ state: 'visible' });
  await visit(page, '/consultations');
  await page.locator(`[data-testid=consultation-row][data-id="${id}"]`).waitFor({ state: 'visible' });
  await shot(page, 'consultation-queue-expert');
  await visit(page, '/inbox');
  await clickAndWait(page, `[data-testid=inbox-consultation][data-id="${id}"] [data-testid=inbox-open]`);
  assertEq(pathOf(page), `/consultations/${id}`, 'inbox link');
  const img = page.locator('[data-testid=dicom-preview]');
  await img.waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid=dicom-preview]');
    return el && el.complete;
  });
  const naturalWidth = await img.evaluate((el) => el.naturalWidth);
  assert(naturalWidth > 0, `the DICOM preview did not load (naturalWidth ${naturalWidth})`);
  assertEq(await stateText(page, 'dicom-modality'), 'CT', 'modality seen by the expert');
  assert((await page.locator('[data-testid=chair]').count()) === 1, 'the named expert is marked as lead');
  await shot(page, 'consultation-expert-dicom');

  step('the expert accepts, schedules, holds and signs an opinion');
  assertEq(await page.locator('[data-testid=action-cancel]').count(), 0, 'the expert cannot cancel');
  await clickAndWait(page, '[data-testid=action-accept]');
  assertEq(await stateText(page, 'consultation-state'), '已接受', 'after accept');
  await clickAndWait(page, '[data-testid=action-schedule]');
  assertEq(await stateText(page, 'consultation-state'), '已排期', 'after schedule');
  await clickAndWait(page, '[data-testid=action-hold]');
  assertEq(await stateText(page, 'consultation-state'), '已会诊', 'after hold');
  const opinion = '右肺上叶周围型肺癌可能性大（cT1cN0M0）。建议：1. 增强CT及支气管镜活检明确病理；2. 完善PET-CT分期；3. 病理确诊后MDT讨论手术方案。';
  await page.fill('[data-testid=sign-form] textarea[name=opinion]', opinion);
  await clickAndWait(page, '[data-testid=action-sign]');
  assertEq(await stateText(page, 'consultation-state'), '报告已签发', 'after sign');
  step('signing again is an amendment: the first version stays visible, marked amended');
  await page.fill('[data-testid=sign-form] textarea[name=opinion]', `${opinion}\n补充：如活检困难，可考虑CT引导下经皮肺穿刺。`);
  await clickAndWait(page, '[data-testid=action-sign]');
  assertEq(await page.locator('[data-testid=opinion]').count(), 2, 'opinion versions');
  assertEq(await page.locator('[data-testid=opinion][data-version="1"] [data-testid=amended]').count(), 1, 'v1 marked amended');
  await shot(page, 'consultation-signed');

  step('the clinician reads the signed opinion and closes with a decision');
  await ctx.clearCookies();
  await login(page, 'clinician');
  await visit(page, `/consultations/${id}`);
  const current = (await page.textContent('[data-testid=opinion][data-version="2"] [data-testid=opinion-text]')).trim();
  assert(current.includes('经皮肺穿刺'), `the amended opinion: ${current}`);
  assertEq(await page.locator('[data-testid=action-sign]').count(), 0, 'the clinician cannot sign');
  await page.fill('[data-testid=close-form] textarea[name=decision]', '采纳会诊意见：本院行支气管镜活检，结果回报后申请MDT。');
  await clickAndWait(page, '[data-testid=action-close]');
  assertEq(await stateText(page, 'consultation-state'), '已结束', 'after close');
  assert((await stateText(page, 'decision-text')).includes('支气管镜活检'), 'the decision is on the record');
  await shot(page, 'consultation-closed');

  step('the consultation page fits a phone screen');
  await page.setViewportSize({ width: 390, height: 844 });
  await visit(page, `/consultations/${id}`);
  const { scrollWidth, innerWidth } = await horizontalOverflow(page);
  assert(scrollWidth <= innerWidth + 1, `consultation page overflows on a phone (${scrollWidth} > ${innerWidth})`);
  await shot(page, 'consultation-phone');
}

async function referralBoard(page, ctx) {
  const f = await fixture();

  step('the clinician of 红星医院 refers a patient up to 河南省人民医院');
  await login(page, 'clinician');
  await visit(page, '/referrals');
  await page.locator('[data-testid=referral-board], [data-testid=board-empty]').first().waitFor({ state: 'visible' });
  await clickAndWait(page, '[data-testid=new-referral]');
  await page.selectOption('[data-testid=receiver-picker] select[name=to]', f.henan.id);
  await submit(page, '[data-testid=receiver-picker]');
  await page.selectOption('select[name=direction]', 'up');
  await page.selectOption('select[name=urgency]', 'urgent');
  await page.fill('input[name="patient.name"]', '古丽娜尔');
  await page.selectOption('select[name="patient.sex"]', 'female');
  await page.fill('input[name="patient.age"]', '46');
  await page.fill('textarea[name=reason]', '乳腺癌术后复发，需上级医院评估放疗及靶向治疗方案。');
  await shot(page, 'referral-form');
  await submit(page, '[data-testid=referral-form]');
  const m = pathOf(page).match(/^\/referrals\/([0-9a-f-]{36})$/);
  assert(m, `after submitting: ${page.url()}`);
  const id = m[1];
  assertEq(await stateText(page, 'referral-state'), '已发起', 'state after sending');
  assertEq(await page.locator('[data-testid=arrival-notice]').count(), 0, 'no arrival notice yet');

  step("河南省人民医院's coordinator finds it on the board, accepts it and confirms arrival");
  await ctx.clearCookies();
  await login(page, 'coord-donor');

  step("the coordinator registers a webhook for the hospital's HIS (an internal address and a short secret are refused first)");
  await visit(page, '/webhooks');
  await page.fill('[data-testid=webhook-form] input[name=url]', 'http://2130706433:8080/');
  await page.fill('[data-testid=webhook-form] input[name=secret]', 'a-long-enough-shared-secret');
  const refusedUrl = await submit(page, '[data-testid=webhook-form]');
  assertEq(refusedUrl.status(), 422, 'status for an internal address');
  await page.locator('[data-testid=error-url]').waitFor({ state: 'visible' });
  // .invalid never resolves (RFC 6761): the receiver stays down, and nothing leaves the machine.
  const hookUrl = `http://his.hospital.invalid/his-${Date.now()}`;
  await page.fill('[data-testid=webhook-form] input[name=url]', hookUrl);
  await page.fill('[data-testid=webhook-form] input[name=secret]', 'short-secret-15');
  await page.$eval('[data-testid=webhook-form] input[name=secret]', (el) => el.removeAttribute('minlength'));
  const refusedHook = await submit(page, '[data-testid=webhook-form]');
  assertEq(refusedHook.status(), 422, 'status for a short secret');
  await page.locator('[data-testid=error-secret]').waitFor({ state: 'visible' });
  await page.fill('[data-testid=webhook-form] input[name=secret]', 'a-long-enough-shared-secret');
  await submit(page, '[data-testid=webhook-form]');
  await page.locator('[data-testid=webhook-row]', { hasText: hookUrl }).waitFor({ state: 'visible' });

  await visit(page, '/referrals?direction=up');
  const card = page.locator(`[data-testid=board-col][data-state=created] [data-testid=referral-card][data-id="${id}"]`);
  await card.waitFor({ state: 'visible' });
  await shot(page, 'referral-board-receiver');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), card.click()]);
  // Accepting tells the sender when, where and whom to call (e2e/roles/clinician-referrals.mjs).
  await page.fill('[data-testid=accept-form] input[name=appointment_at]', '2026-12-09T09:30');
  await page.fill('[data-testid=accept-form] input[name=ward]', '乳腺外科 3 病区 12 床');
  await page.fill('[data-testid=accept-form] input[name=contact_name]', '陈晓燕');
  await page.fill('[data-testid=accept-form] input[name=contact_phone]', '0371-65580123');
  await clickAndWait(page, '[data-testid=action-accept]');
  assertEq(await stateText(page, 'referral-state'), '已接收', 'after accept');
  assertEq(await page.locator('[data-testid=action-cancel]').count(), 0, 'the receiver cannot cancel');
  await clickAndWait(page, '[data-testid=action-arrive]');
  assertEq(await stateText(page, 'referral-state'), '患者已到达', 'after arrival');
  await shot(page, 'referral-arrived-receiver');

  step('the webhook page lists the events queued for the HIS (its receiver is down: retrying)');
  await visit(page, '/webhooks');
  const queued = await page.locator('[data-testid=deliveries-table] tbody tr').count();
  assert(queued >= 2, `deliveries listed: ${queued}`);
  await shot(page, 'webhooks');

  step('the sender sees the arrival notice, and the card in the arrived column');
  await ctx.clearCookies();
  await login(page, 'clinician');
  await visit(page, `/referrals/${id}`);
  const notice = (await page.textContent('[data-testid=arrival-notice]')).trim();
  assert(notice.includes('患者已到达') && notice.includes(f.henan.name), `arrival notice: ${notice}`);
  await shot(page, 'referral-arrival-notice');
  await visit(page, '/referrals');
  await page.locator(`[data-testid=board-col][data-state=arrived] [data-testid=referral-card][data-id="${id}"]`).waitFor({ state: 'visible' });
  await shot(page, 'referral-board-sender');
}

export const CASES = [
  ['13 a clinician requests a consultation with a CT study; the expert signs', consultationWithDicom],
  ['14 the referral board: up-referral, acceptance and arrival notice', referralBoard],
];
