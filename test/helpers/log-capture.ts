// A real pino logger whose JSON lines a test can read back.
import { pino } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export const LEVEL = { debug: 20, info: 30, warn: 40 } as const;

export function captureLogs() {
  const lines: LogLine[] = [];
  const stream = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  const logger = pino({ level: 'debug', base: null, timestamp: false }, stream);
  return { logger, lines, withMsg: (msg: string) => lines.filter((l) => l.msg === msg) };
}
