/**
 * One AWS emulator (moto_server) for the whole test run; every test file uses its own table.
 *
 * Each project that needs it (integration, e2e: vitest.config.ts) lists this global setup, and
 * vitest runs it once per project, in its main process: the first call starts the emulator, the
 * others share it, and the last teardown stops it.
 */
import type { TestProject } from 'vitest/node';
import { startMoto, type Emulator } from '../../bin/moto.ts';

interface Shared {
  emulator: Promise<Emulator>;
  users: number;
}

const KEY = Symbol.for('dmp.test.emulator');
const holder = globalThis as typeof globalThis & { [KEY]?: Shared };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = (holder[KEY] ??= { emulator: startMoto(), users: 0 });
  shared.users += 1;
  const emulator = await shared.emulator;
  project.provide('awsEndpoint', emulator.endpoint);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    holder[KEY] = undefined;
    await emulator.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}
