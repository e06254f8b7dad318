import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { REPORT_CLAIMS, REPORT_FORMAT, type SessionReport } from '../../../main/contract/report-format.js';
import { generateReportSchema, SCHEMA_FILE } from '../../tools/generate-report-schema.js';

const emptyReport: SessionReport = {
  format: REPORT_FORMAT,
  generatedAt: '2026-12-02T10:00:00.000Z',
  app: { name: 'IPC Lab', version: '0.1.0' },
  student: { name: 'Ada', studentId: null },
  machine: { os: 'Linux', kernel: '6.18.0', arch: 'x64', cores: 2, bootId: null },
  labId: null,
  evidence: 'checks',
  timeOnTaskMs: 0,
  summary: [{ labId: 'ordinary-pipes', title: 'Ordinary pipes', mastered: 0, attempted: 0, notStarted: 1 }],
  labs: [
    {
      id: 'ordinary-pipes',
      title: 'Ordinary pipes',
      version: 'f'.repeat(64),
      steps: [{ id: 'one-way', title: 'One way', status: 'not-started', prediction: null, attempts: [], chosen: null }],
    },
  ],
  claims: REPORT_CLAIMS,
  digest: '0'.repeat(64),
};

describe('report JSON Schema', () => {
  it('is what main/contract/report-format.ts generates (run npm run schema:report after changing the spec)', () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), generateReportSchema(), 'the committed schema is out of date: run npm run schema:report');
  });

  it('accepts a report of the spec and names what is wrong with one that is not', () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
    assert.equal(validate(emptyReport), true, JSON.stringify(validate.errors));
    const noFormat: Partial<SessionReport> = { ...emptyReport };
    delete noFormat.format;
    assert.equal(validate(noFormat), false, 'a report without its format is refused');
    assert.equal(validate({ ...emptyReport, extra: 1 }), false, 'an unknown field is refused');
    const badStatus = structuredClone(emptyReport) as unknown as { labs: { steps: { status: string }[] }[] };
    badStatus.labs[0]!.steps[0]!.status = 'done';
    assert.equal(validate(badStatus), false, 'a step status outside the spec is refused');
    assert.match(JSON.stringify(validate.errors), /status/);
  });
});
