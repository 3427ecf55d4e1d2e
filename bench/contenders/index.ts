// Every contender the harness knows, by name.
import type { ContenderName } from '../cli.js';
import { direct } from './direct.js';
import { haproxy } from './haproxy.js';
import { jetway, jetwayUndici } from './jetway.js';
import { nginx } from './nginx.js';
import type { Contender } from './types.js';

export const CONTENDER_IMPLS: Record<ContenderName, Contender> = {
  direct,
  jetway,
  'jetway-undici': jetwayUndici,
  nginx,
  haproxy,
};
