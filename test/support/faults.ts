/**
 * Failure injection on real AWS SDK clients: a middleware that makes chosen commands fail, either
 * before they reach the emulator or after it answered (the write happened, the answer was lost).
 * This is the only test double in the suite, for what no emulator provides: faults on demand.
 */
/** Any AWS SDK v3 client: they share the middleware stack API (typed loosely on purpose). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClient = { middlewareStack: { add(middleware: any, options: any): void; remove(name: string): boolean } };

export class InjectedFault extends Error {
  override readonly name = 'InternalServerError';
  readonly $fault = 'server';
  readonly $metadata = { httpStatusCode: 500 };
}

let counter = 0;

/** Makes the next `times` calls of `command` fail; returns a function that removes the fault. */
export const failNext = (client: AnyClient, command: string, times = 1, when: 'before' | 'after' = 'before'): (() => void) => {
  let remaining = times;
  const name = `injected-fault-${++counter}`;
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      if (context.commandName !== command || remaining <= 0) return next(args);
      remaining -= 1;
      if (when === 'after') await next(args);
      throw new InjectedFault(`injected ${command} failure`);
    },
    { step: 'initialize', name },
  );
  return () => client.middlewareStack.remove(name);
};

/** Lets the first `skip` calls of `command` through, then makes the next `times` fail: a fault in the middle of a run. */
export const failAfter = (client: AnyClient, command: string, skip: number, times = 1, when: 'before' | 'after' = 'before'): (() => void) => {
  let passed = 0;
  let remaining = times;
  const name = `injected-fault-${++counter}`;
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      if (context.commandName !== command) return next(args);
      if (passed < skip) {
        passed += 1;
        return next(args);
      }
      if (remaining <= 0) return next(args);
      remaining -= 1;
      if (when === 'after') await next(args);
      throw new InjectedFault(`injected ${command} failure`);
    },
    { step: 'initialize', name },
  );
  return () => client.middlewareStack.remove(name);
};

/** Records the input of every call of a client, by command name. */
export const recordCalls = (client: AnyClient): { calls: { command: string; input: any }[]; stop(): void } => {
  const calls: { command: string; input: any }[] = [];
  const name = `call-recorder-${++counter}`;
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      calls.push({ command: context.commandName, input: args.input });
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { calls, stop: () => client.middlewareStack.remove(name) };
};

/**
 * Runs `action` just before the call of `command` that follows the first `skip` (once): something
 * another request does at that very moment of a run (a record closed between two of its calls).
 * With `then: 'fail'` that call then fails, before it reaches the emulator.
 */
export const actBefore = (client: AnyClient, command: string, skip: number, action: () => Promise<void>, then: 'go-on' | 'fail' = 'go-on'): (() => void) => {
  let passed = 0;
  let done = false;
  const name = `injected-action-${++counter}`;
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      if (context.commandName !== command || done) return next(args);
      if (passed < skip) {
        passed += 1;
        return next(args);
      }
      done = true;
      await action();
      if (then === 'fail') throw new InjectedFault(`injected ${command} failure`);
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => client.middlewareStack.remove(name);
};
