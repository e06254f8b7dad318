/**
 * Generates main/contract/report-format.schema.json from the SessionReport type in
 * main/contract/report-format.ts (`npm run schema:report`). test/unit/report/report-schema.test.ts fails
 * when the committed schema is not what this generates, so the spec and the schema cannot drift apart.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMA_FILE = join(root, 'main', 'contract', 'report-format.schema.json');

export function generateReportSchema(): string {
  const schema = createGenerator({
    path: join(root, 'main', 'contract', 'report-format.ts'),
    tsconfig: join(root, 'tsconfig.json'),
    type: 'SessionReport',
    expose: 'export',
    topRef: true,
    additionalProperties: false,
    skipTypeCheck: true,
  }).createSchema('SessionReport');
  return (
    JSON.stringify({ ...schema, $id: 'https://ipc-lab.example/schemas/ipc-lab-report-1.json', title: 'IPC Lab session report, ipc-lab-report/1' }, null, 2) +
    '\n'
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, generateReportSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
