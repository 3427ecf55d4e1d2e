// `jetway start | validate | demo`.
import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../config/load.js';
import { Daemon } from '../control/daemon.js';
import { startDemoUpstreams } from '../demo/upstreams.js';

const program = new Command('jetway')
  .description('Reverse proxy, load balancer and API gateway')
  .version('0.1.0');

program
  .command('start')
  .description('run the daemon with a config file')
  .requiredOption('-c, --config <file>', 'YAML config file')
  .action(async (opts: { config: string }) => {
    await startOrExit(opts.config);
  });

program
  .command('validate')
  .description('check a config file and exit')
  .requiredOption('-c, --config <file>', 'YAML config file')
  .action((opts: { config: string }) => {
    try {
      loadConfig(opts.config);
      console.log(`${opts.config}: ok`);
    } catch (err) {
      exitWith(err);
    }
  });

program
  .command('demo')
  .description('run the bundled example: demo upstreams plus the daemon on 127.0.0.1:8080')
  .action(async () => {
    await startDemoUpstreams();
    const file = fileURLToPath(new URL('../../../examples/demo.yaml', import.meta.url));
    await startOrExit(file);
  });

async function startOrExit(file: string): Promise<void> {
  try {
    await Daemon.start(file);
  } catch (err) {
    exitWith(err);
  }
}

function exitWith(err: unknown): never {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`jetway: ${(err as Error).message}`);
  process.exit(1);
}

await program.parseAsync();
