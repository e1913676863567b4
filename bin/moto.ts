/**
 * Starts moto_server (the AWS emulator standing in for DynamoDB, KMS and SNS) on a free loopback
 * port, and stops it. Shared by `npm start`, the test suite's global setup and the benchmarks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const INSTALL_HINT = "moto_server was not found: install it with `pip install 'moto[server]'` (Python 3), then run this again.";

/** moto's server application behind one lock (see bin/moto_server.py for why). */
const LAUNCHER = fileURLToPath(new URL('./moto_server.py', import.meta.url));

export class MotoMissing extends Error {
  override readonly name = 'MotoMissing';
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
}

const ready = async (endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
};

export const startMoto = async (timeoutMs = 30_000): Promise<Emulator> => {
  const python = process.env.PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import moto.server, werkzeug'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new MotoMissing(INSTALL_HINT);
  const port = await freePort();
  const child = spawn(python, [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await ready(endpoint, child, timeoutMs);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
};
