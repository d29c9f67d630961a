// Browser cases for workload reports (工作量): the coordinator of 红星医院 files a month's
// workload of an expert stationed there — every mistake at once beside its field first — lands
// on the list, sees the report with its five counts and the totals, and opens it again to
// correct it; on the desk (1366×900) and on the phone.

import { shot, step, assert, assertEq, pathOf, visit, submit, login, fixture, apiOk, noOverflow, shanghaiDate, PHONE } from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

const iso = (d) => d.toISOString().slice(0, 10);

/** An assignment at 红星医院 and a calendar month of it (clipped to it) no report covers yet. */
async function freeMonth(f) {
  const today = shanghaiDate();
  const list = await apiOk('GET', `/api/v1/assignments?institution=${f.hongxing.id}&until=${today}&per_page=40`, undefined, f.token);
  for (const a of list.items) {
    const reports = await apiOk('GET', `/api/v1/workload-reports?assignment=${a.id}&per_page=200`, undefined, f.token);
    const last = a.end_date < today ? a.end_date : today;
    let m = new Date(`${a.start_date.slice(0, 7)}-01T00:00:00Z`);
    while (iso(m) <= last) {
      const next = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1));
      const monthEnd = iso(new Date(next.getTime() - 86_400_000));
      const start = iso(m) < a.start_date ? a.start_date : iso(m);
      const end = monthEnd > a.end_date ? a.end_date : monthEnd;
      const taken = reports.items.some((r) => r.period_start <= end && r.period_end >= start);
      if (!taken) return { a, start, end };
      m = next;
    }
  }
  throw new Error('no assignment at 红星医院 with a month to report');
}

async function fileWorkload(page, where) {
  const f = await fixture();
  const { a, start, end } = await freeMonth(f);
  step(`${a.person_name}: ${start} – ${end}`);
  await login(page, 'coord-recipient');
  await visit(page, '/workload-reports');
  await page.locator('[data-testid=workload-totals]').waitFor();
  await noOverflow(page, `workload list (${where})`);
  await shot(page, `workload-list-before-${where}`);
  await page.click('[data-testid=new-workload]');
  const form = '[data-testid=workload-form]';
  await page.locator(form).waitFor();
  const label = (await page.locator(`${form} select[name=assignment_id] option[value="${a.id}"]`).textContent()).trim();
  step(`the assignment reads: ${label}`);
  assert(label.includes(a.person_name) && label.includes('红星医院') && !/[0-9a-f]{8}-/.test(label), `assignment label: ${label}`);

  step('submit with mistakes: no assignment, no period start, a negative count');
  await page.fill(`${form} input[name=period_start]`, '');
  await page.fill(`${form} input[name=outpatients]`, '-3');
  const bad = await submit(page, form);
  assertEq(bad.status(), 422, 'HTTP status of a form with mistakes');
  for (const field of ['assignment_id', 'period_start', 'outpatients']) {
    const err = page.locator(`${form} [data-testid=error-${field}]`);
    await err.waitFor({ state: 'visible' });
    step(`error at ${field}: ${(await err.textContent()).trim()}`);
  }
  await noOverflow(page, `workload form with errors (${where})`);
  await shot(page, `workload-form-errors-${where}`);

  step('fill it in');
  await page.selectOption(`${form} select[name=assignment_id]`, a.id);
  await page.fill(`${form} input[name=period_start]`, start);
  await page.fill(`${form} input[name=period_end]`, end);
  const counts = { outpatients: 312, admissions: 41, operations: 17, rescues: 3, mdt_participations: 5 };
  for (const [k, v] of Object.entries(counts)) await page.fill(`${form} input[name=${k}]`, String(v));
  await page.fill(`${form} textarea[name=note]`, `e2e ${where}`);
  await shot(page, `workload-form-filled-${where}`);
  const ok = await submit(page, form);
  assert(ok.ok(), `saving the report: ${ok.status()}`);
  assertEq(pathOf(page), '/workload-reports', 'lands on the workload list');
  await page.locator('[data-testid=flash]').waitFor({ state: 'visible' });
  const narrowed = (await page.locator('[data-testid=workload-assignment-filter]').textContent()).replace(/\s+/g, ' ');
  step(`narrowed to: ${narrowed}`);
  assert(narrowed.includes(a.person_name), `the list says which assignment it shows: ${narrowed}`);
  const row = page.locator('[data-testid=workload-report]', { hasText: `${start} – ${end}` }).first();
  await row.waitFor({ state: 'visible' });
  const text = (await row.textContent()).replace(/\s+/g, ' ');
  step(`row: ${text}`);
  assert(text.includes(a.person_name) && text.includes('312') && text.includes('17'), `row shows expert and counts: ${text}`);
  const totals = (await page.locator('[data-testid=workload-totals]').textContent()).replace(/\s+/g, ' ');
  step(`totals: ${totals}`);
  await noOverflow(page, `workload list after filing (${where})`);
  await shot(page, `workload-list-after-${where}`);

  step('open it again and correct the outpatients');
  await row.locator('a').first().click();
  await page.locator(form).waitFor();
  await page.fill(`${form} input[name=outpatients]`, '320');
  const fixed = await submit(page, form);
  assert(fixed.ok(), `correcting the report: ${fixed.status()}`);
  const again = page.locator('[data-testid=workload-report]', { hasText: `${start} – ${end}` }).first();
  assert(((await again.textContent()) || '').includes('320'), 'the corrected count is listed');

  step('the assignment page links to its reports and to the form');
  await visit(page, `/dispatch/assignments/${a.id}`);
  await page.locator('[data-testid=file-workload]').waitFor();
  await page.locator('[data-testid=assignment-workload]').scrollIntoViewIfNeeded();
  await noOverflow(page, `assignment page (${where})`);
  await shot(page, `workload-assignment-${where}`);
}

export const CASES = [
  ['workload: a coordinator files a month of an expert\'s workload and sees it listed (desk)', (page) => fileWorkload(page, 'desk'), DESK],
  ['workload: a coordinator files a month of an expert\'s workload and sees it listed (phone)', (page) => fileWorkload(page, 'phone'), PHONE],
];
