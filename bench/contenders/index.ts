// Every contender the harness knows, by name.
import type { ContenderName } from '../cli.js';
import { direct } from './direct.js';
import { haproxy } from './haproxy.js';
import { jetway, jetwayPipelined, jetwayUndici } from './jetway.js';
import { nginx } from './nginx.js';
import { fastGateway, fastifyHttpProxy, httpProxy } from './node-proxies/index.js';
import type { Contender } from './types.js';

export const CONTENDER_IMPLS: Record<ContenderName, Contender> = {
  direct,
  jetway,
  'jetway-pipelined': jetwayPipelined,
  'jetway-undici': jetwayUndici,
  nginx,
  haproxy,
  'http-proxy': httpProxy,
  'fast-gateway': fastGateway,
  'fastify-http-proxy': fastifyHttpProxy,
};
