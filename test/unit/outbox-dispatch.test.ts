/**
 * The outbox dispatcher's use case against an in-memory outbox and senders: one send per message,
 * claims that keep two dispatchers apart, back-off between attempts, parking after the last one,
 * messages of destroyed records dropped, fan-outs expanded into one message per recipient, once
 * each however often the expansion runs. Against DynamoDB and SNS: the outbox tests of test/e2e
 * and test/integration/outbox-fan-out.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  FAN_OUT_INLINE,
  LEASE_MS,
  MAX_ATTEMPTS,
  OutboxDispatcher,
  backoffMs,
  type Channel,
  type Claim,
  type MessageRef,
  type MessageSender,
  type OpenedMessage,
  type Outbox,
} from '../../functions/domain/jobs/outbox.ts';
import { makeLogger } from '../../functions/adapters/logger.ts';

const T0 = new Date('2026-05-04T10:00:00.000Z');
const MIN = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms);

interface Held {
  dmpId: string;
  channel: Channel;
  to: string;
  text: string;
  /** A one-time code, say: erased once the message is done. */
  secret?: string | undefined;
  status: 'pending' | 'sent' | 'expanded' | 'dropped' | 'failed';
  attempts: number;
  next: number;
  /** When it was written: a fan-out's messages are due from then. */
  createdAt: number;
  /** A fan-out: its recipients (the audience as the store finds it). */
  recipients?: string[] | undefined;
  doneAt?: string;
}

/**
 * The outbox in memory; `failNext` makes the named call throw once; `keyGone` holds the destroyed
 * records; `expandFailsAfter` makes the next expansion throw after writing that many messages.
 */
class MemoryOutbox implements Outbox {
  readonly messages = new Map<MessageRef, Held>();
  readonly keyGone = new Set<string>();
  readonly calls: string[] = [];
  failNext: string | undefined;
  expandFailsAfter: number | undefined;

  add(id: string, m: Partial<Held> & { to: string }, when = T0): MessageRef {
    const ref = id as MessageRef;
    this.messages.set(ref, { dmpId: 'rec-1', channel: 'sms', text: `text of ${id}`, status: 'pending', attempts: 0, next: when.getTime(), createdAt: when.getTime(), ...m });
    return ref;
  }
  /** A fan-out to each of `recipients` on the professional channel. */
  addFanOut(id: string, recipients: string[], m: Partial<Held> = {}, when = T0): MessageRef {
    return this.add(id, { to: '', channel: 'professional', recipients, ...m }, when);
  }
  /** The messages a fan-out was expanded into. */
  messagesOf(fanOut: MessageRef): Held[] {
    return [...this.messages].filter(([ref]) => ref.startsWith(`${fanOut}/`)).map(([, m]) => m);
  }
  get(ref: MessageRef): Held {
    return this.messages.get(ref)!;
  }
  private call(name: string, ref: MessageRef): Held {
    this.calls.push(`${name} ${ref}`);
    if (this.failNext === name) {
      this.failNext = undefined;
      throw new Error(`injected ${name} failure`);
    }
    return this.get(ref);
  }

  async *due(now: Date, batch: number): AsyncGenerator<MessageRef> {
    const due = [...this.messages].filter(([, m]) => m.status === 'pending' && m.next <= now.getTime()).sort(([, a], [, b]) => a.next - b.next);
    for (const [ref] of due.slice(0, batch)) yield ref;
  }
  async claim(ref: MessageRef, now: Date, leaseUntil: Date): Promise<Claim | undefined> {
    const m = this.call('claim', ref);
    if (m.status !== 'pending' || m.next > now.getTime()) return undefined;
    m.attempts += 1;
    m.next = leaseUntil.getTime();
    return { dmpId: m.dmpId, attempts: m.attempts, ...(m.recipients ? { fanOut: true } : {}) };
  }
  /** One message per recipient, keyed by the recipient: one already there is left as it is. */
  async expand(ref: MessageRef): Promise<MessageRef[] | undefined> {
    const m = this.call('expand', ref);
    if (this.keyGone.has(m.dmpId)) return undefined;
    const refs: MessageRef[] = [];
    for (const to of m.recipients ?? []) {
      if (this.expandFailsAfter !== undefined && refs.length >= this.expandFailsAfter) {
        this.expandFailsAfter = undefined;
        throw new Error('injected expansion failure');
      }
      const child = `${ref}/${to}` as MessageRef;
      if (!this.messages.has(child)) {
        this.messages.set(child, { dmpId: m.dmpId, channel: m.channel, to, text: m.text, status: 'pending', attempts: 0, next: m.createdAt, createdAt: m.createdAt });
      }
      refs.push(child);
    }
    return refs;
  }
  async open(ref: MessageRef): Promise<OpenedMessage | undefined> {
    const m = this.call('open', ref);
    if (this.keyGone.has(m.dmpId)) return undefined;
    return { channel: m.channel, to: m.to, text: m.secret ? `${m.text} ${m.secret}` : m.text };
  }
  async finish(ref: MessageRef, outcome: 'sent' | 'expanded' | 'dropped', when: Date): Promise<void> {
    const m = this.call(`finish-${outcome}`, ref);
    Object.assign(m, { status: outcome, doneAt: when.toISOString(), secret: undefined });
  }
  async retryAt(ref: MessageRef, next: Date): Promise<void> {
    this.call('retryAt', ref).next = next.getTime();
  }
  async park(ref: MessageRef, when: Date): Promise<void> {
    Object.assign(this.call('park', ref), { status: 'failed', doneAt: when.toISOString() });
  }
}

/** Records what it sends; fails the next `failures` sends. */
class MemorySender implements MessageSender {
  readonly sent: { to: string; text: string }[] = [];
  failures = 0;
  async send(to: string, text: string): Promise<string> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw Object.assign(new Error('throttled'), { name: 'ThrottledException' });
    }
    this.sent.push({ to, text });
    return `msg-${this.sent.length}`;
  }
}

const world = (withProfessionals = true) => {
  const outbox = new MemoryOutbox();
  const sms = new MemorySender();
  const professionals = new MemorySender();
  const dispatcher = new OutboxDispatcher({ outbox, sms, professionals: withProfessionals ? professionals : undefined, logger: makeLogger({ logLevel: 'SILENT' }) });
  return { outbox, sms, professionals, dispatcher };
};

describe('sending', () => {
  it('sends each due message once, on its channel, and marks it sent with its one-time code erased; a second sweep sends nothing', async () => {
    const w = world();
    const code = w.outbox.add('m1', { to: '+33611111111', text: 'DMP : votre code est', secret: '123456' });
    const pro = w.outbox.add('m2', { to: '810000000001', channel: 'professional' }, at(1));
    const later = w.outbox.add('m3', { to: '+33622222222' }, at(5 * MIN));

    expect(await w.dispatcher.sweep(at(1))).toEqual({ sent: 2, failed: 0, parked: 0 });
    expect(w.sms.sent).toEqual([{ to: '+33611111111', text: 'DMP : votre code est 123456' }]);
    expect(w.professionals.sent).toEqual([{ to: '810000000001', text: 'text of m2' }]);
    expect(w.outbox.get(code)).toMatchObject({ status: 'sent', attempts: 1, doneAt: at(1).toISOString(), secret: undefined });
    expect(w.outbox.get(pro).status).toBe('sent');
    expect(w.outbox.get(later)).toMatchObject({ status: 'pending', attempts: 0 });
    // Claimed, opened, sent, marked: in that order.
    expect(w.outbox.calls.filter((c) => c.endsWith(' m1'))).toEqual(['claim m1', 'open m1', 'finish-sent m1']);

    expect(await w.dispatcher.sweep(at(2))).toEqual({ sent: 0, failed: 0, parked: 0 });
    // Named again (by a late stream record), a sent message is not sent again.
    expect(await w.dispatcher.dispatch(code, at(3))).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(w.sms.sent).toHaveLength(1);
    expect(await w.dispatcher.sweep(at(5 * MIN))).toEqual({ sent: 1, failed: 0, parked: 0 });
  });

  it('takes at most `batch` messages a run; the rest waits for the next', async () => {
    const w = world();
    for (let i = 0; i < 5; i++) w.outbox.add(`m${i}`, { to: `+3361111111${i}` }, at(i));
    expect(await w.dispatcher.sweep(at(MIN), 3)).toEqual({ sent: 3, failed: 0, parked: 0 });
    expect(w.sms.sent.map((s) => s.to)).toEqual(['+33611111110', '+33611111111', '+33611111112']);
    expect(await w.dispatcher.sweep(at(MIN), 3)).toEqual({ sent: 2, failed: 0, parked: 0 });
  });

  it('a message of a destroyed record is dropped: nothing sent, not counted, never tried again', async () => {
    const w = world();
    const ref = w.outbox.add('m1', { to: '+33611111111', dmpId: 'rec-gone', secret: '999999' });
    w.outbox.keyGone.add('rec-gone');
    expect(await w.dispatcher.sweep(T0)).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(w.outbox.get(ref)).toMatchObject({ status: 'dropped', secret: undefined });
    expect(w.sms.sent).toEqual([]);
    expect(await w.dispatcher.sweep(at(60 * MIN))).toEqual({ sent: 0, failed: 0, parked: 0 });
  });
});

describe('claims', () => {
  it('two dispatchers on the same message send it once', async () => {
    const w = world();
    const ref = w.outbox.add('m1', { to: '+33611111111' });
    const other = new OutboxDispatcher({ outbox: w.outbox, sms: w.sms, logger: makeLogger({ logLevel: 'SILENT' }) });
    const reports = await Promise.all([w.dispatcher.dispatch(ref, T0), other.dispatch(ref, T0)]);
    expect(reports.map((r) => r.sent).sort()).toEqual([0, 1]);
    expect(w.sms.sent).toHaveLength(1);
  });

  it('a dispatcher that stops after the send: the message is not sent again during the lease, and sent again after it (at least once)', async () => {
    const w = world();
    const ref = w.outbox.add('m1', { to: '+33611111111' });
    w.outbox.failNext = 'finish-sent';
    // The send happened, its mark did not: counted as a failed attempt, retried after the back-off.
    expect(await w.dispatcher.sweep(T0)).toEqual({ sent: 0, failed: 1, parked: 0 });
    expect(w.sms.sent).toHaveLength(1);
    expect(w.outbox.get(ref).next).toBe(at(backoffMs(1)).getTime());
    expect(await w.dispatcher.sweep(at(backoffMs(1)))).toEqual({ sent: 1, failed: 0, parked: 0 });
    expect(w.sms.sent).toHaveLength(2);

    // A dispatcher that crashes after its claim leaves the message leased: nobody takes it before the lease ends.
    const crashed = w.outbox.add('m2', { to: '+33622222222' }, at(10 * MIN));
    await w.outbox.claim(crashed, at(10 * MIN), at(10 * MIN + LEASE_MS));
    expect(await w.dispatcher.sweep(at(10 * MIN + LEASE_MS - 1))).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(await w.dispatcher.sweep(at(10 * MIN + LEASE_MS))).toEqual({ sent: 1, failed: 0, parked: 0 });
    expect(w.outbox.get(crashed).attempts).toBe(2);
  });

  it('a store that fails to claim: the error goes to the caller (the stream retries the record), nothing is sent', async () => {
    const w = world();
    const ref = w.outbox.add('m1', { to: '+33611111111' });
    w.outbox.failNext = 'claim';
    await expect(w.dispatcher.dispatch(ref, T0)).rejects.toThrow('injected claim failure');
    expect(w.sms.sent).toEqual([]);
    expect(w.outbox.get(ref)).toMatchObject({ status: 'pending', attempts: 0 });
  });
});

describe('retries', () => {
  it('the back-off doubles from one minute, up to six hours', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => backoffMs(n) / MIN)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 360]);
  });

  it('a failed send is retried after its back-off, not before, and sent once', async () => {
    const w = world();
    const ref = w.outbox.add('m1', { to: '+33611111111' });
    w.sms.failures = 1;
    expect(await w.dispatcher.sweep(T0)).toEqual({ sent: 0, failed: 1, parked: 0 });
    expect(w.outbox.get(ref)).toMatchObject({ status: 'pending', attempts: 1, next: at(MIN).getTime() });
    expect(await w.dispatcher.sweep(at(MIN - 1))).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(await w.dispatcher.sweep(at(MIN))).toEqual({ sent: 1, failed: 0, parked: 0 });
    expect(await w.dispatcher.sweep(at(60 * MIN))).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(w.sms.sent).toHaveLength(1);
  });

  it('a message that keeps failing is retried with growing waits, then parked as failed at its last attempt, never lost nor retried again', async () => {
    const w = world();
    const ref = w.outbox.add('m1', { to: '+33611111111' });
    w.sms.failures = 1000;
    let now = T0.getTime();
    const waits: number[] = [];
    const reports = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      reports.push(await w.dispatcher.sweep(new Date(now)));
      const m = w.outbox.get(ref);
      if (m.status === 'pending') {
        waits.push((m.next - now) / MIN);
        now = m.next;
      }
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(reports.slice(0, MAX_ATTEMPTS - 1).every((r) => r.failed === 1 && r.parked === 0)).toBe(true);
    expect(reports.at(-1)).toEqual({ sent: 0, failed: 0, parked: 1 });
    expect(w.outbox.get(ref)).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, doneAt: new Date(now).toISOString() });
    w.sms.failures = 0;
    expect(await w.dispatcher.sweep(at(365 * 24 * 60 * MIN))).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(w.sms.sent).toEqual([]);
  });

  it('a professional message with no professional messaging configured fails and is retried, like any failed send', async () => {
    const w = world(false);
    const ref = w.outbox.add('m1', { to: '810000000001', channel: 'professional' });
    expect(await w.dispatcher.sweep(T0)).toEqual({ sent: 0, failed: 1, parked: 0 });
    expect(w.outbox.get(ref)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(w.sms.sent).toEqual([]);
  });
});

describe('fan-outs', () => {
  const physicians = (n: number) => Array.from({ length: n }, (_, i) => `8100000${String(i).padStart(5, '0')}`);
  const toEach = (sender: MemorySender) => {
    const counts = new Map<string, number>();
    for (const { to } of sender.sent) counts.set(to, (counts.get(to) ?? 0) + 1);
    return counts;
  };

  it('is expanded into one message per recipient, each sent once on the professional channel; the fan-out itself is marked expanded, never sent', async () => {
    const w = world();
    const recipients = physicians(5);
    const fanOut = w.outbox.addFanOut('f1', recipients, { text: 'urgence' });
    expect(await w.dispatcher.sweep(at(1))).toEqual({ sent: 5, failed: 0, parked: 0 });
    expect(w.professionals.sent).toEqual(recipients.map((to) => ({ to, text: 'urgence' })));
    expect(w.sms.sent).toEqual([]);
    expect(w.outbox.get(fanOut)).toMatchObject({ status: 'expanded', attempts: 1, doneAt: at(1).toISOString() });
    expect(w.outbox.messagesOf(fanOut).map((m) => m.status)).toEqual(recipients.map(() => 'sent'));
    expect(w.outbox.calls.filter((c) => c.endsWith(' f1'))).toEqual(['claim f1', 'expand f1', 'finish-expanded f1']);

    expect(await w.dispatcher.sweep(at(2))).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(await w.dispatcher.sweep(at(24 * 60 * MIN))).toEqual({ sent: 0, failed: 0, parked: 0 });
    // Named again (by a late stream record), an expanded fan-out is not expanded again.
    expect(await w.dispatcher.dispatch(fanOut, at(3))).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(w.professionals.sent).toHaveLength(5);
  });

  it('an expansion interrupted half-way is retried after its back-off: the messages written before are sent once, the others written and sent, nobody twice', async () => {
    const w = world();
    const recipients = physicians(5);
    const fanOut = w.outbox.addFanOut('f1', recipients);
    w.outbox.expandFailsAfter = 2;
    expect(await w.dispatcher.sweep(T0)).toEqual({ sent: 0, failed: 1, parked: 0 });
    expect(w.outbox.get(fanOut)).toMatchObject({ status: 'pending', attempts: 1, next: at(backoffMs(1)).getTime() });
    expect(w.outbox.messagesOf(fanOut)).toHaveLength(2);
    // The two messages already written are ordinary pending messages: the next sweep sends them.
    expect(await w.dispatcher.sweep(at(1))).toEqual({ sent: 2, failed: 0, parked: 0 });
    // The fan-out, retried, writes the other three and sends them; the first two are not sent again.
    expect(await w.dispatcher.sweep(at(backoffMs(1)))).toEqual({ sent: 3, failed: 0, parked: 0 });
    expect(w.outbox.get(fanOut).status).toBe('expanded');
    expect(toEach(w.professionals)).toEqual(new Map(recipients.map((to) => [to, 1])));
    expect(await w.dispatcher.sweep(at(24 * 60 * MIN))).toEqual({ sent: 0, failed: 0, parked: 0 });
  });

  it('a dispatcher that stops after the expansion, before marking the fan-out: the retried expansion writes nothing twice and tells nobody twice', async () => {
    const w = world();
    const recipients = physicians(4);
    const fanOut = w.outbox.addFanOut('f1', recipients);
    w.outbox.failNext = 'finish-expanded';
    expect(await w.dispatcher.sweep(T0)).toEqual({ sent: 0, failed: 1, parked: 0 });
    expect(w.professionals.sent).toEqual([]);
    // Its messages are written: sent by the next sweep, while the fan-out waits for its back-off.
    expect(await w.dispatcher.sweep(at(1))).toEqual({ sent: 4, failed: 0, parked: 0 });
    expect(await w.dispatcher.sweep(at(backoffMs(1)))).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(w.outbox.get(fanOut).status).toBe('expanded');
    expect(w.outbox.messagesOf(fanOut)).toHaveLength(4);
    expect(toEach(w.professionals)).toEqual(new Map(recipients.map((to) => [to, 1])));
  });

  it('two dispatchers on the same fan-out: expanded once, each recipient told once', async () => {
    const w = world();
    const fanOut = w.outbox.addFanOut('f1', physicians(3));
    const other = new OutboxDispatcher({ outbox: w.outbox, sms: w.sms, professionals: w.professionals, logger: makeLogger({ logLevel: 'SILENT' }) });
    const reports = await Promise.all([w.dispatcher.dispatch(fanOut, T0), other.dispatch(fanOut, T0)]);
    expect(reports.map((r) => r.sent).sort()).toEqual([0, 3]);
    expect(w.outbox.calls.filter((c) => c === 'expand f1')).toHaveLength(1);
    expect(w.professionals.sent).toHaveLength(3);
  });

  it(`more than ${FAN_OUT_INLINE} recipients: the run that expands sends ${FAN_OUT_INLINE}, later sweeps the rest, each recipient once`, async () => {
    const w = world();
    const recipients = physicians(FAN_OUT_INLINE * 2 + 50);
    w.outbox.addFanOut('f1', recipients);
    expect((await w.dispatcher.sweep(T0)).sent).toBe(FAN_OUT_INLINE);
    let sweeps = 0;
    while ((await w.dispatcher.sweep(at(1))).sent > 0) sweeps += 1;
    expect(sweeps).toBeGreaterThanOrEqual(1);
    expect(toEach(w.professionals)).toEqual(new Map(recipients.map((to) => [to, 1])));
  });

  it('a fan-out with nobody to tell is marked expanded; one of a destroyed record is dropped; neither sends anything', async () => {
    const w = world();
    const empty = w.outbox.addFanOut('f1', []);
    const gone = w.outbox.addFanOut('f2', physicians(3), { dmpId: 'rec-gone' });
    w.outbox.keyGone.add('rec-gone');
    expect(await w.dispatcher.sweep(T0)).toEqual({ sent: 0, failed: 0, parked: 0 });
    expect(w.outbox.get(empty).status).toBe('expanded');
    expect(w.outbox.get(gone).status).toBe('dropped');
    expect(w.outbox.messagesOf(gone)).toEqual([]);
    expect(w.professionals.sent).toEqual([]);
  });

  it('a fan-out that keeps failing to expand is parked after its last attempt, like a message', async () => {
    const w = world();
    const fanOut = w.outbox.addFanOut('f1', physicians(2));
    let now = T0.getTime();
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      w.outbox.expandFailsAfter = 0;
      await w.dispatcher.sweep(new Date(now));
      now = w.outbox.get(fanOut).next;
    }
    expect(w.outbox.get(fanOut)).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    expect(w.professionals.sent).toEqual([]);
  });
});
