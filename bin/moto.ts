/**
 * Starts moto_server (the AWS emulator standing in for DynamoDB, KMS and SNS) on a free loopback
 * port, and stops it. Shared by `npm start`, the test suite's global setup and the benchmarks.
 *
 * The emulator is Python's moto. An interpreter that already imports it is used (PYTHON when set,
 * then the project's .venv, then python3); otherwise moto is installed, pinned, into a virtual
 * environment of the project's own (.venv/, git-ignored), so a fresh machine needs only Python 3.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The moto release the code and the tests are written against (see bin/moto_server.py). */
export const MOTO_REQUIREMENT = 'moto[server]==5.2.1';

/** moto's server application behind one lock (see bin/moto_server.py for why). */
const LAUNCHER = fileURLToPath(new URL('./moto_server.py', import.meta.url));

/** The project's own virtual environment, where moto is installed when no interpreter has it. */
export const PROJECT_VENV = fileURLToPath(new URL('../.venv', import.meta.url));

export class MotoMissing extends Error {
  override readonly name = 'MotoMissing';
}

/** What the choice of an interpreter needs to know about the machine. */
export interface PythonProbes {
  /** The interpreter runs and imports moto's server and werkzeug. */
  hasMoto(python: string): boolean;
  /** The interpreter runs at all. */
  runs(python: string): boolean;
}

export type EmulatorPython =
  /** Run the emulator with this interpreter. */
  | { action: 'use'; python: string }
  /** Run these commands in order, then run the emulator with `python`. */
  | { action: 'install'; python: string; steps: string[][] }
  /** Nothing can run the emulator: say this, in one line. */
  | { action: 'fail'; message: string };

export const venvPython = (venv: string): string => join(venv, 'bin', 'python');

/**
 * Which interpreter runs the emulator, and whether moto must be installed first: the first of
 * PYTHON (when set), the project's .venv and python3 that imports moto; otherwise a .venv created
 * by PYTHON or python3 with the pinned moto installed in it; without any Python, a failure that
 * says what to install.
 */
export const choosePython = (probes: PythonProbes, options: { venv: string; explicit?: string | undefined }): EmulatorPython => {
  const inVenv = venvPython(options.venv);
  const base = options.explicit || 'python3';
  const candidates = [...new Set([...(options.explicit ? [options.explicit] : []), inVenv, 'python3'])];
  const ready = candidates.find((python) => probes.hasMoto(python));
  if (ready) return { action: 'use', python: ready };
  if (!probes.runs(base)) {
    return {
      action: 'fail',
      message: `${base} was not found: the AWS emulator (moto) needs Python 3.9 or later with its venv module (e.g. apt-get install python3 python3-venv); install it, then run this again.`,
    };
  }
  return {
    action: 'install',
    python: inVenv,
    steps: [
      [base, '-m', 'venv', options.venv],
      [inVenv, '-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', MOTO_REQUIREMENT],
    ],
  };
};

/** Probes that run the interpreter (a missing one fails to spawn: false). */
export const systemProbes: PythonProbes = {
  hasMoto: (python) => spawnSync(python, ['-c', 'import moto.server, werkzeug'], { stdio: 'ignore' }).status === 0,
  runs: (python) => spawnSync(python, ['--version'], { stdio: 'ignore' }).status === 0,
};

/** Runs one installation step: its exit status and what it printed. */
export type StepRunner = (command: string, args: string[]) => { status: number | null; output: string; error?: Error | undefined };

const runStep: StepRunner = (command, args) => {
  const run = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: run.status, output: `${run.stderr ?? ''}${run.stdout ?? ''}`, error: run.error };
};

/**
 * The interpreter that runs the emulator, installing moto into the project's .venv first when no
 * interpreter has it (one line on stderr says so; the installer's output shows only if it fails).
 */
export const emulatorPython = (options: { probes?: PythonProbes; venv?: string; explicit?: string | undefined; run?: StepRunner; say?: (line: string) => void } = {}): string => {
  const { probes = systemProbes, venv = PROJECT_VENV, explicit = process.env.PYTHON, run = runStep, say = (line) => process.stderr.write(`${line}\n`) } = options;
  const choice = choosePython(probes, { venv, explicit });
  if (choice.action === 'fail') throw new MotoMissing(choice.message);
  if (choice.action === 'use') return choice.python;
  const inside = relative(process.cwd(), venv);
  const where = inside && !inside.startsWith('..') ? inside : venv;
  say(`The AWS emulator (moto) was not found: installing ${MOTO_REQUIREMENT} into ${where}/ (once) …`);
  for (const [command = '', ...args] of choice.steps) {
    const step = run(command, args);
    if (step.status !== 0) {
      const output = step.output.trim().split('\n').slice(-8).join('\n');
      throw new MotoMissing(
        `Installing the AWS emulator failed: \`${[command, ...args].join(' ')}\` ${step.error ? `could not run (${step.error.message})` : `exited with ${step.status}`}.` +
          `${output ? `\n${output}` : ''}\nInstall ${MOTO_REQUIREMENT} for python3 yourself (\`python3 -m pip install '${MOTO_REQUIREMENT}'\`), then run this again.`,
      );
    }
  }
  if (!probes.hasMoto(choice.python)) throw new MotoMissing(`${MOTO_REQUIREMENT} was installed into ${where}/ but ${choice.python} cannot import moto.server.`);
  return choice.python;
};

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
  const python = emulatorPython();
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
