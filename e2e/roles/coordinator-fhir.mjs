// Browser cases for a hospital system that books through FHIR R4 (signed in as 红星医院's
// coordinator): it finds an expert's free Slot next week, books it with POST Appointment, and the
// booking shows on the coordinator's page of the session, masked, on the desk and on a phone.

import {
  shot,
  step,
  assert,
  assertEq,
  visit,
  login,
  apiOk,
  idNumber,
  fixture,
  newExpert,
  newSession,
  noOverflow,
  url,
  PASSWORD,
  PHONE,
} from '../lib.mjs';

const DESK = { viewport: { width: 1366, height: 900 } };

/** A FHIR interaction; answers { status, body, location }. */
async function fhir(method, p, body, token) {
  const headers = { Accept: 'application/fhir+json', Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/fhir+json';
  const resp = await fetch(url(p), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: resp.status, body: await resp.json(), location: resp.headers.get('location') };
}

async function bookedThroughFhir(page, phone) {
  const f = await fixture();
  const expert = await newExpert(f, phone ? '司马' : '诸葛', []);
  const session = await newSession(f, expert, 8, 1, 'expert');
  const { token } = await apiOk('POST', '/api/v1/auth/token', { username: 'coord-recipient', password: PASSWORD }, undefined, 201);
  step(`fixture: a one-place session of ${expert.name} on ${session.date}`);

  const schedules = await fhir('GET', `/fhir/R4/Schedule?actor=Practitioner/${expert.id}`, undefined, token);
  assertEq(schedules.status, 200, 'Schedule search');
  const scheduleId = schedules.body.entry[0].resource.id;
  const slots = await fhir('GET', `/fhir/R4/Slot?schedule=Schedule/${scheduleId}&start=ge${session.date}&status=free`, undefined, token);
  assertEq(slots.body.total, 1, 'one free Slot');
  const slot = slots.body.entry[0].resource;
  assertEq(slot.id, session.id, 'the Slot is the session');

  const name = phone ? '司马秀英' : '诸葛建国';
  const mobile = `1380000${String(Math.floor(Math.random() * 9000) + 1000)}`;
  const booked = await fhir(
    'POST',
    '/fhir/R4/Appointment',
    {
      resourceType: 'Appointment',
      status: 'booked',
      slot: [{ reference: `Slot/${slot.id}` }],
      contained: [
        {
          resourceType: 'Patient',
          id: 'p',
          name: [{ text: name }],
          telecom: [{ system: 'phone', value: mobile }],
          identifier: [{ system: 'https://shanhai.health/fhir/sid/resident-id', value: idNumber('19700505', String(100 + Math.floor(Math.random() * 800))) }],
        },
      ],
      participant: [{ actor: { reference: '#p' }, status: 'accepted' }],
    },
    token,
  );
  assertEq(booked.status, 201, `POST Appointment: ${JSON.stringify(booked.body)}`);
  assert(booked.location && booked.location.endsWith(`/Appointment/${booked.body.id}`), 'Location header');
  const code = booked.body.identifier[0].value;
  const after = await fhir('GET', `/fhir/R4/Slot/${slot.id}`, undefined, token);
  assertEq(after.body.status, 'busy', 'the one-place Slot is busy');
  step(`booked ${code} through FHIR`);

  await login(page, 'coord-recipient');
  await visit(page, `/clinic-sessions/${session.id}`);
  const rowText = await page.locator(`[data-testid=booking-row][data-code="${code}"]`).first().innerText();
  assert(rowText.includes(`${name[0]}${'*'.repeat(name.length - 1)}`), `the masked name in the row: ${rowText}`);
  assert(!rowText.includes(mobile), 'the phone number is masked');
  if (phone) await noOverflow(page, 'the session page on a phone');
  await shot(page, `fhir-booking-on-session-page-${phone ? 'phone' : 'desk'}`);
}

export const CASES = [
  ['coordinator: a booking made through FHIR shows on the session page (desk)', (page) => bookedThroughFhir(page, false), DESK],
  ['coordinator: a booking made through FHIR shows on the session page (phone)', (page) => bookedThroughFhir(page, true), PHONE],
];
