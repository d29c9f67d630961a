// Validates the collected resources (fetch.py's output) with FHIR.js (npm `fhir`,
// lantanagroup) against the core FHIR R4 structure definitions.
//
// Fails on every message of severity `error`, and on `Unexpected property` (an element that
// does not exist in R4, which FHIR.js reports only as a warning). Other warnings — codes of
// the project's own CodeSystems "not found in value set", which FHIR.js cannot resolve — are
// counted, not fatal.
//
// Usage: node validate.mjs SAMPLES.json
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');

const samples = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const fhir = new Fhir();
let failures = 0;
let warnings = 0;
const warningKinds = new Map();
const checked = {};
for (const { where, resource } of samples) {
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  checked[resource.resourceType] = (checked[resource.resourceType] || 0) + 1;
  for (const m of result.messages || []) {
    const fatal = m.severity === 'error' || /Unexpected property/.test(m.message);
    if (fatal) {
      failures += 1;
      console.log(`FHIR.js ERROR ${where}: ${m.location}: ${m.message}`);
    } else {
      warnings += 1;
      // "Code "x" (system) not found in value set" → one line per system and message shape.
      const kind = m.message.replace(/"[^"]*"/, '"…"');
      warningKinds.set(kind, (warningKinds.get(kind) || 0) + 1);
    }
  }
}
const summary = Object.entries(checked).map(([t, n]) => `${t} ${n}`).join(', ');
console.log(`FHIR.js: ${samples.length} resources (${summary}); ${failures} error(s), ${warnings} warning(s) not counted (codes of Shanhai's own CodeSystems, value sets FHIR.js does not carry)`);
for (const [kind, n] of [...warningKinds].sort((a, b) => b[1] - a[1])) {
  console.log(`  warning ×${n}: ${kind}`);
}
process.exit(failures ? 1 : 0);
