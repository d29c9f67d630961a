// Browser cases for every role in English: the interface carries no Chinese (names, case text
// and other records stay as written), numbers carry English units and plurals.

import { step, assert, login, visit, shot, CJK } from '../lib.mjs';

// Elements that are always interface, never a record's name or text.
const CHROME = 'nav a, thead th, label, button, .btn, .stat-label, legend, summary, .field-error, .hint, .empty, caption';
// A number followed by a Chinese unit, or Chinese punctuation next to English words.
const UNIT = /\d[\d.,]*\s?(天|例|人次|人日|项|个|次|名|家|批|元)(?![\u4e00-\u9fff])/;
const PUNCT = /[A-Za-z]{2,}\s?[（：，。、]/;

async function englishLeaks(page) {
  return page.evaluate(
    ([selector, cjk, unit, punct]) => {
      const found = [];
      const CJKre = new RegExp(cjk);
      for (const el of document.querySelectorAll(selector)) {
        // A cell or label holding a record (a name, a code list) is marked data-record.
        if (el.closest('[data-record]') || el.querySelector('[data-record]')) continue;
        // A check box or radio button's label names a record (a person, an institution).
        if (el.querySelector('input[type=checkbox], input[type=radio]')) continue;
        // The element's own words: not the options of a picker inside a label.
        const own = el.cloneNode(true);
        for (const inner of own.querySelectorAll('select, option, input, textarea, datalist, [data-record]')) inner.remove();
        const text = own.textContent.trim();
        if (CJKre.test(text)) found.push(`${el.tagName.toLowerCase()}: ${text.slice(0, 60)}`);
      }
      const body = document.body.innerText;
      for (const re of [new RegExp(unit), new RegExp(punct)]) {
        const m = body.match(new RegExp(`.{0,20}${re.source}.{0,10}`));
        if (m) found.push(`text: ${m[0]}`);
      }
      return found;
    },
    [CHROME, CJK.source, UNIT.source, PUNCT.source],
  );
}

const PAGES = {
  admin: ['/programs', '/dashboard', '/figures', '/kpis', '/people', '/institutions', '/users', '/audit', '/import', '/techniques', '/dispatch', '/clinic-sessions', '/referrals', '/consultations'],
  office: ['/inbox', '/dashboard', '/kpis', '/dispatch'],
  'coord-recipient': ['/inbox', '/clinic-sessions', '/referrals', '/consultations', '/techniques', '/mentorships'],
  expert: ['/my/schedule', '/inbox', '/consultations'],
  clinician: ['/consultations', '/referrals', '/referrals/new', '/consultations/new'],
};

async function everyRoleInEnglish(page, ctx) {
  const problems = [];
  for (const [user, paths] of Object.entries(PAGES)) {
    await ctx.clearCookies();
    await login(page, user);
    await visit(page, '/lang/en?next=/programs');
    for (const p of paths) {
      const resp = await page.goto(new URL(p, page.url()).href, { waitUntil: 'load' });
      if (!resp || resp.status() !== 200) continue; // a page this role may not open
      for (const leak of await englishLeaks(page)) problems.push(`${user} ${p} — ${leak}`);
    }
    step(`${user}: ${paths.length} pages read in English`);
  }
  await shot(page, 'english-last-page');
  assert(problems.length === 0, `Chinese on English pages:\n  ${problems.join('\n  ')}`);
}

export const CASES = [['english: every role reads the interface in English, units and plurals included', everyRoleInEnglish]];
