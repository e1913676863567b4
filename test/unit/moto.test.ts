/** Which Python runs the AWS emulator, and installing moto into the project's .venv when none has it. */
import { describe, expect, it } from 'vitest';
import { choosePython, emulatorPython, MOTO_REQUIREMENT, MotoMissing, PROJECT_VENV, systemProbes, venvPython, type PythonProbes, type StepRunner } from '../../bin/moto.ts';

const VENV = '/repo/.venv';
const IN_VENV = '/repo/.venv/bin/python';

/** A machine where `withMoto` interpreters import moto and `running` ones (those included) run. */
const machine = (withMoto: string[], running: string[] = []): PythonProbes => ({
  hasMoto: (python) => withMoto.includes(python),
  runs: (python) => withMoto.includes(python) || running.includes(python),
});

const INSTALL_STEPS = [
  ['python3', '-m', 'venv', VENV],
  [IN_VENV, '-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', 'moto[server]==5.2.1'],
];

describe('choosing the interpreter that runs the emulator', () => {
  it('pins the moto release the code is written against', () => {
    expect(MOTO_REQUIREMENT).toBe('moto[server]==5.2.1');
    expect(venvPython(VENV)).toBe(IN_VENV);
  });

  it('prefers the project’s .venv when it has moto, then python3', () => {
    expect(choosePython(machine([IN_VENV, 'python3']), { venv: VENV })).toEqual({ action: 'use', python: IN_VENV });
    expect(choosePython(machine(['python3']), { venv: VENV })).toEqual({ action: 'use', python: 'python3' });
  });

  it('uses PYTHON first when it names an interpreter with moto', () => {
    expect(choosePython(machine(['/opt/py/bin/python', IN_VENV, 'python3']), { venv: VENV, explicit: '/opt/py/bin/python' })).toEqual({
      action: 'use',
      python: '/opt/py/bin/python',
    });
    expect(choosePython(machine(['python3'], ['/opt/py/bin/python']), { venv: VENV, explicit: '/opt/py/bin/python' })).toEqual({ action: 'use', python: 'python3' });
  });

  it('installs the pinned moto into .venv when no interpreter has it', () => {
    expect(choosePython(machine([], ['python3']), { venv: VENV })).toEqual({ action: 'install', python: IN_VENV, steps: INSTALL_STEPS });
    // A .venv left without moto (an interrupted install) is completed the same way.
    expect(choosePython(machine([], ['python3', IN_VENV]), { venv: VENV })).toEqual({ action: 'install', python: IN_VENV, steps: INSTALL_STEPS });
  });

  it('creates the .venv with PYTHON when it is set', () => {
    const choice = choosePython(machine([], ['/opt/py/bin/python']), { venv: VENV, explicit: '/opt/py/bin/python' });
    expect(choice).toEqual({ action: 'install', python: IN_VENV, steps: [['/opt/py/bin/python', '-m', 'venv', VENV], INSTALL_STEPS[1]] });
  });

  it('fails with one line saying what to install when there is no python3', () => {
    const choice = choosePython(machine([]), { venv: VENV });
    expect(choice.action).toBe('fail');
    const message = choice.action === 'fail' ? choice.message : '';
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^python3 was not found/);
    expect(message).toContain('python3-venv');
  });
});

describe('getting the interpreter ready', () => {
  const recording = (failAt?: number) => {
    const steps: string[][] = [];
    const lines: string[] = [];
    const run: StepRunner = (command, args) => {
      steps.push([command, ...args]);
      return steps.length - 1 === failAt ? { status: 1, output: 'ERROR: No matching distribution found for moto[server]==5.2.1\n' } : { status: 0, output: '' };
    };
    return { steps, lines, run, say: (line: string) => lines.push(line) };
  };

  it('uses an interpreter that has moto as it is: nothing installed, nothing said', () => {
    const r = recording();
    expect(emulatorPython({ probes: machine(['python3']), venv: VENV, explicit: undefined, run: r.run, say: r.say })).toBe('python3');
    expect(r.steps).toEqual([]);
    expect(r.lines).toEqual([]);
  });

  it('says so in one line, runs the installation steps in order, then uses the .venv', () => {
    const r = recording();
    let installed = false;
    const probes: PythonProbes = { hasMoto: (python) => installed && python === IN_VENV, runs: (python) => python === 'python3' };
    const run: StepRunner = (command, args) => {
      const answer = r.run(command, args);
      installed = r.steps.length === INSTALL_STEPS.length;
      return answer;
    };
    expect(emulatorPython({ probes, venv: VENV, explicit: undefined, run, say: r.say })).toBe(IN_VENV);
    expect(r.steps).toEqual(INSTALL_STEPS);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toContain('moto[server]==5.2.1');
    expect(r.lines[0]).not.toContain('\n');
  });

  it('stops at a failing step and says which one, with the end of its output', () => {
    const r = recording(0);
    expect(() => emulatorPython({ probes: machine([], ['python3']), venv: VENV, explicit: undefined, run: r.run, say: r.say })).toThrow(MotoMissing);
    expect(r.steps).toEqual([INSTALL_STEPS[0]]);
    const p = recording(1);
    expect(() => emulatorPython({ probes: machine([], ['python3']), venv: VENV, explicit: undefined, run: p.run, say: p.say })).toThrow(
      /pip install .*moto\[server\]==5\.2\.1.* exited with 1[\s\S]*No matching distribution/,
    );
    expect(p.steps).toEqual(INSTALL_STEPS);
  });

  it('refuses an installation after which moto still cannot be imported', () => {
    const r = recording();
    expect(() => emulatorPython({ probes: machine([], ['python3']), venv: VENV, explicit: undefined, run: r.run, say: r.say })).toThrow(/cannot import moto\.server/);
  });

  it('throws the one-line failure when there is no Python', () => {
    const r = recording();
    expect(() => emulatorPython({ probes: machine([]), venv: VENV, explicit: undefined, run: r.run, say: r.say })).toThrow(/^python3 was not found/);
    expect(r.steps).toEqual([]);
  });

  it('on this machine, finds an interpreter that imports moto without installing anything', () => {
    // The test run's global setup has already started the emulator (installing it if needed).
    const choice = choosePython(systemProbes, { venv: PROJECT_VENV, explicit: process.env.PYTHON });
    expect(choice.action).toBe('use');
    expect(choice.action === 'use' && systemProbes.hasMoto(choice.python)).toBe(true);
  });
});
