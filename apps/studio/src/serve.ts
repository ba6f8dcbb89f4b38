#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GanKitError } from '@gankit/core';
import { serveStudio } from './server';

const USAGE = 'usage: gankit-studio [--port N] [--host 127.0.0.1] [--version]   (serves the built studio; --port 0 picks a free port)';

async function main(): Promise<void> {
  let values: { port?: string; host?: string; help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } } }));
  } catch (error) {
    console.error(`gankit-studio: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.version) {
    console.log((JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version);
    return;
  }
  const port = values.port === undefined ? 5178 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`gankit-studio: --port must be an integer 0-65535, got "${values.port}"\n${USAGE}`);
    process.exit(2);
  }
  const server = await serveStudio({ port, host: values.host ?? '127.0.0.1' });
  console.log(`gankit studio: ${server.url}`);
  console.log('(cross-origin isolated: COOP same-origin + COEP require-corp, so wasm runs threaded; Ctrl-C stops)');
}

main().catch((error: unknown) => {
  const message = GanKitError.isInstance(error) ? error.message : error instanceof Error ? error.message : String(error);
  console.error(`gankit-studio: ${message}`);
  process.exit(1);
});
