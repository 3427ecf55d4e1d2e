// The addon's generated type declarations are its API; they are pinned by a committed
// snapshot so that an API change is a reviewed change. After changing the API on purpose:
//   JETWAY_UPDATE_SNAPSHOTS=1 node --test dist/test/unit/napi-dts.test.js

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

import { projectRoot } from '../../ts/hotpath/files.js';

const generated = join(projectRoot(), 'native', 'napi', 'index.d.ts');
const snapshot = join(projectRoot(), 'test', 'snapshots', 'napi.d.ts');

it('generates the napi type declarations pinned in test/snapshots/napi.d.ts', () => {
  assert.ok(existsSync(generated), `${generated} is missing: run npm run build:native`);
  const actual = readFileSync(generated, 'utf8');
  if (process.env.JETWAY_UPDATE_SNAPSHOTS === '1') writeFileSync(snapshot, actual);
  assert.equal(actual, readFileSync(snapshot, 'utf8'), 'the addon API changed; see this file');
});
