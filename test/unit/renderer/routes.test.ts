/**
 * The app's URLs: every lab page URL the app writes parses back to the same place, the older short
 * forms still open, and a link whose run part is broken opens the lab page with `bad` (so it can say
 * what is wrong) rather than "page not found".
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareHref, labHref, parseHash, runHref, sameTarget, targetHref, type RunTarget } from '../../../renderer/src/lib/routes.js';

describe('parseHash', () => {
  test('the catalogue', () => {
    assert.deepEqual(parseHash(''), { page: 'catalogue' });
    assert.deepEqual(parseHash('#/'), { page: 'catalogue' });
  });

  test('a lab, and a step, show the latest run', () => {
    assert.deepEqual(parseHash('#/lab/ordinary-pipes'), { page: 'lab', labId: 'ordinary-pipes', stepId: null, target: { kind: 'latest' } });
    assert.deepEqual(parseHash('#/lab/ordinary-pipes/capacity'), { page: 'lab', labId: 'ordinary-pipes', stepId: 'capacity', target: { kind: 'latest' } });
    assert.deepEqual(parseHash('#/lab/ordinary-pipes/capacity/'), { page: 'lab', labId: 'ordinary-pipes', stepId: 'capacity', target: { kind: 'latest' } });
  });

  test('a run of a step', () => {
    assert.deepEqual(parseHash('#/lab/ordinary-pipes/capacity/run/12'), {
      page: 'lab',
      labId: 'ordinary-pipes',
      stepId: 'capacity',
      target: { kind: 'run', runId: 12 },
    });
  });

  test('two runs compared, in the order written', () => {
    assert.deepEqual(parseHash('#/lab/ordinary-pipes/capacity/compare/3/12'), {
      page: 'lab',
      labId: 'ordinary-pipes',
      stepId: 'capacity',
      target: { kind: 'compare', runIds: [3, 12] },
    });
    const reversed = parseHash('#/lab/l/s/compare/12/3');
    assert.ok(reversed.page === 'lab' && reversed.target.kind === 'compare', 'a comparison');
    assert.deepEqual(reversed.target.runIds, [12, 3]);
  });

  test('a run part that names no run is "bad", with what it said', () => {
    for (const [hash, text] of [
      ['#/lab/l/s/run/abc', 'run/abc'],
      ['#/lab/l/s/run/0', 'run/0'],
      ['#/lab/l/s/run/-3', 'run/-3'],
      ['#/lab/l/s/run/012', 'run/012'],
      ['#/lab/l/s/run/1.5', 'run/1.5'],
      ['#/lab/l/s/run/99999999999999999999', 'run/99999999999999999999'],
      ['#/lab/l/s/run', 'run'],
      ['#/lab/l/s/run/1/2', 'run/1/2'],
      ['#/lab/l/s/compare/1', 'compare/1'],
      ['#/lab/l/s/compare/1/x', 'compare/1/x'],
    ] as const) {
      assert.deepEqual(parseHash(hash), { page: 'lab', labId: 'l', stepId: 's', target: { kind: 'bad', text } }, hash);
    }
  });

  test('anything else is unknown', () => {
    for (const hash of ['#/labs', '#/lab', '#/lab/l/s/other', '#/lab/l/s/%E0%A4%A']) assert.deepEqual(parseHash(hash), { page: 'unknown', hash }, hash);
  });

  test('parts are URL-decoded', () => {
    const route = parseHash('#/lab/my%20lab/step%2F1');
    assert.ok(route.page === 'lab', 'a lab page');
    assert.equal(route.labId, 'my lab');
    assert.equal(route.stepId, 'step/1');
  });
});

describe('hrefs', () => {
  test('each href parses back to what it names', () => {
    const cases: [string, RunTarget][] = [
      [labHref('ordinary-pipes', 'one-way'), { kind: 'latest' }],
      [runHref('ordinary-pipes', 'one-way', 7), { kind: 'run', runId: 7 }],
      [compareHref('ordinary-pipes', 'one-way', 7, 9), { kind: 'compare', runIds: [7, 9] }],
    ];
    for (const [href, target] of cases) assert.deepEqual(parseHash(href), { page: 'lab', labId: 'ordinary-pipes', stepId: 'one-way', target }, href);
  });

  test('the URLs as written', () => {
    assert.equal(labHref('ordinary-pipes'), '#/lab/ordinary-pipes');
    assert.equal(labHref('ordinary-pipes', 'capacity'), '#/lab/ordinary-pipes/capacity');
    assert.equal(runHref('ordinary-pipes', 'capacity', 12), '#/lab/ordinary-pipes/capacity/run/12');
    assert.equal(compareHref('ordinary-pipes', 'capacity', 3, 12), '#/lab/ordinary-pipes/capacity/compare/3/12');
  });

  test('a comparison names the older run first, whichever was picked first', () => {
    assert.equal(compareHref('l', 's', 12, 3), '#/lab/l/s/compare/3/12');
    assert.equal(targetHref('l', 's', { kind: 'compare', runIds: [12, 3] }), '#/lab/l/s/compare/3/12');
  });

  test('targetHref: latest and bad are the step itself', () => {
    assert.equal(targetHref('l', 's', { kind: 'latest' }), '#/lab/l/s');
    assert.equal(targetHref('l', 's', { kind: 'bad', text: 'run/x' }), '#/lab/l/s');
    assert.equal(targetHref('l', 's', { kind: 'run', runId: 4 }), '#/lab/l/s/run/4');
  });
});

describe('sameTarget', () => {
  test('by kind and ids', () => {
    assert.equal(sameTarget({ kind: 'latest' }, { kind: 'latest' }), true);
    assert.equal(sameTarget({ kind: 'run', runId: 1 }, { kind: 'run', runId: 1 }), true);
    assert.equal(sameTarget({ kind: 'run', runId: 1 }, { kind: 'run', runId: 2 }), false);
    assert.equal(sameTarget({ kind: 'run', runId: 1 }, { kind: 'latest' }), false);
    assert.equal(sameTarget({ kind: 'compare', runIds: [1, 2] }, { kind: 'compare', runIds: [1, 2] }), true);
    assert.equal(sameTarget({ kind: 'compare', runIds: [1, 2] }, { kind: 'compare', runIds: [2, 1] }), false);
    assert.equal(sameTarget({ kind: 'bad', text: 'a' }, { kind: 'bad', text: 'b' }), false);
  });
});
