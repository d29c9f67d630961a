// Browser cases for the expert's signed opinion: the opinion names the expert by name, title and
// hospital (never the login), and the printable consultation report (会诊报告单) carries them.

import {
  shot,
  step,
  assert,
  assertEq,
  pathOf,
  visit,
  login,
  fixture,
  demoExpert,
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

/** A consultation from 红星医院's clinician to 河南省人民医院, naming the demo expert, held. */
async function heldConsultation(f, expert) {
  const clinician = await token('clinician');
  const c = await apiOk(
    'POST',
    '/api/v1/consultations',
    {
      type: 'general',
      urgency: 'routine',
      target_institution_id: f.henan.id,
      expert_ids: [expert.id],
      patient: { name: '哈丽旦木', sex: 'female', age: 52 },
      case_summary: '反复胸闷气短半年，活动后加重。心脏彩超：左室射血分数 45%。',
      question: '是否需行冠脉造影？药物治疗方案如何调整？',
    },
    clinician,
    201,
  );
  const expertToken = await token('expert');
  for (const [action, body] of [
    ['accept', {}],
    ['schedule', { scheduled_at: '2026-12-09T10:00' }],
    ['hold', {}],
  ]) {
    await apiOk('POST', `/api/v1/consultations/${c.id}/${action}`, body, expertToken);
  }
  return c.id;
}

function signedOpinion(label) {
  return async (page, ctx) => {
    const f = await fixture();
    const expert = await demoExpert(f);
    const id = await heldConsultation(f, expert);

    step('the expert finds it in the queue: cards on a phone, a table on the desk, no sideways scrolling');
    await login(page, 'expert');
    await visit(page, '/consultations');
    await page.locator(`[data-testid=consultation-row][data-id="${id}"]`).waitFor({ state: 'visible' });
    await noOverflow(page, 'the consultation queue');
    await shot(page, `consultation-queue-${label}`);

    step('the expert signs the opinion in the browser');
    await visit(page, `/consultations/${id}`);
    await page.fill('[data-testid=sign-form] textarea[name=opinion]', '建议行冠脉造影明确病变；在此之前加用沙库巴曲缬沙坦，逐步滴定至目标剂量。');
    await clickAndWait(page, '[data-testid=action-sign]');
    assertEq(await stateText(page, 'consultation-state'), '报告已签发', 'after sign');
    const author = await stateText(page, 'opinion-author');
    assertEq(author, expert.name, 'the signer is named by name');
    assert(author !== 'expert', 'never the login');
    const detail = await stateText(page, 'opinion-author-detail');
    assert(detail.includes('主任医师') || detail.includes('医师') || detail.includes('护师') || detail.includes('技师'), `the signer's title: ${detail}`);
    assert(detail.includes('河南省人民医院'), `the signer's hospital: ${detail}`);
    const actors = await page.locator('[data-testid=timeline-actor]').allInnerTexts();
    assert(actors.every((a) => !/^(expert|clinician)\b/.test(a)), `logins in the timeline: ${actors.join(' | ')}`);
    assert(actors.some((a) => a.startsWith(`${expert.name} · `)), `the expert in the timeline: ${actors.join(' | ')}`);
    await noOverflow(page, 'the consultation page');
    await shot(page, `opinion-signed-${label}`);

    step('the clinician opens the printable report from the consultation page');
    await ctx.clearCookies();
    await login(page, 'clinician');
    await visit(page, `/consultations/${id}`);
    await clickAndWait(page, '[data-testid=report-link]');
    assertEq(pathOf(page), `/consultations/${id}/report`, 'the report link');
    await page.emulateMedia({ media: 'print' });
    assertEq(await stateText(page, 'report-signer'), expert.name, 'the report names the signer');
    const title = await stateText(page, 'report-signer-title');
    assert(title.length > 0, 'the report carries the title');
    assertEq(await stateText(page, 'report-signer-hospital'), '河南省人民医院', 'the signer\'s hospital');
    assert((await stateText(page, 'report-signed-at')).match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/), 'the signing time');
    assert((await stateText(page, 'report-question')).includes('冠脉造影'), 'the question');
    assert(!(await page.textContent('body')).includes('哈丽旦木'), 'the patient is masked');
    assertEq(await page.locator('[data-testid=print-report]').isVisible(), false, 'no buttons on paper');
    await noOverflow(page, 'the report');
    await shot(page, `consultation-report-print-${label}`);
    await page.emulateMedia({ media: 'screen' });
    await shot(page, `consultation-report-screen-${label}`);
  };
}

export const CASES = [
  ['expert: a signed opinion names the expert; the printed report carries name, title and hospital (desk)', signedOpinion('desk'), DESK],
  ['expert: a signed opinion names the expert; the printed report carries name, title and hospital (phone)', signedOpinion('phone'), PHONE],
];
