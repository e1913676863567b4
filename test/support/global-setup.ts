/** One AWS emulator (moto_server) for the whole test run; every test file uses its own table. */
import type { TestProject } from 'vitest/node';
import { startMoto, type Emulator } from '../../bin/moto.ts';

let emulator: Emulator | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  emulator = await startMoto();
  project.provide('awsEndpoint', emulator.endpoint);
  return async () => {
    await emulator?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}
