/**
 * Sends what the outbox holds. A message is first claimed for a lease (so two dispatchers never
 * send it together), then opened and sent, then marked sent. A failed attempt is retried later
 * with exponential back-off; after MAX_ATTEMPTS the message is parked as failed (still listed for
 * operators). At least once: a crash between the send and the mark can send a message twice, never
 * zero times. A message whose record was destroyed meanwhile cannot be opened: it is dropped.
 *
 * A fan-out is one item standing for a message to each of many recipients (the attending physicians
 * told of an emergency access, however many they are), so that the action that causes it writes one
 * item, not one per recipient. It is claimed like a message, then expanded: the store writes one
 * message per recipient, keyed by the recipient, so that an expansion run again (after a crash, or
 * by a second dispatcher) writes nothing twice and a message already sent is never sent again; then
 * the fan-out is marked expanded. Its messages are ordinary messages from then on: the same run
 * sends the first FAN_OUT_INLINE of them, the stream and the next sweeps the rest.
 */
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../ports.ts';

export const MAX_ATTEMPTS = 8;
/** How long a claim keeps other dispatchers off a message: far more than one send takes. */
export const LEASE_MS = 60_000;
/** The messages of a fan-out sent by the run that expanded it; the rest wait for the stream or the next sweep. */
export const FAN_OUT_INLINE = 100;
/** The wait before the next attempt, after `attempts` of them: 1 min, 2 min, 4 min… at most 6 h. */
export const backoffMs = (attempts: number): number => Math.min(30_000 * 2 ** attempts, 6 * 3600_000);

/** A message of the outbox, named by the store; the dispatcher never looks inside. */
export type MessageRef = string & { readonly __brand: 'MessageRef' };

/** A message taken for one attempt. */
export interface Claim {
  /** The record it belongs to (for the logs). */
  dmpId: string;
  /** Its attempts so far, this one included. */
  attempts: number;
  /** A fan-out: expanded into messages (Outbox.expand), not sent itself. */
  fanOut?: boolean;
}

export type Channel = 'sms' | 'professional';

/** What to send, opened: to a mobile number (sms) or a professional's id (professional). */
export interface OpenedMessage {
  channel: Channel;
  to: string;
  text: string;
  /** Its template's name (e.g. record-created), counted by kind once sent: never its content. */
  kind?: string;
}

/** What the dispatcher needs of the outbox's storage. `C` is the store's own claim. */
export interface Outbox<C extends Claim = Claim> {
  /** The messages whose next attempt is due at `now`: at most `batch` from each part of the queue, the rest waits for the next run. */
  due(now: Date, batch: number): AsyncIterable<MessageRef>;
  /**
   * Takes the message until `leaseUntil`, counting one more attempt, if it is pending and its next
   * attempt is due at `now`; undefined otherwise (sent, parked, or another dispatcher has it).
   */
  claim(ref: MessageRef, now: Date, leaseUntil: Date): Promise<C | undefined>;
  /** Its recipient and text, opened with the record's key; undefined when that key is gone (the record was destroyed). */
  open(ref: MessageRef, claim: C): Promise<OpenedMessage | undefined>;
  /**
   * A claimed fan-out's messages, one per recipient, written unless already there (a message
   * already written, sent or not, stays as it is): their references, whether written now or
   * before. Undefined when the record's key is gone (the record was destroyed).
   */
  expand(ref: MessageRef, claim: C): Promise<MessageRef[] | undefined>;
  /**
   * Out of the queue for good: sent, expanded (a fan-out whose messages are written), or dropped
   * (nothing can be sent); what it held only to be sent (a one-time code) is erased.
   */
  finish(ref: MessageRef, outcome: 'sent' | 'expanded' | 'dropped', at: Date): Promise<void>;
  /** Still pending, its next attempt at `next`. */
  retryAt(ref: MessageRef, next: Date): Promise<void>;
  /** Given up on at `at`: out of the queue, listed with the failed messages. */
  park(ref: MessageRef, at: Date): Promise<void>;
}

/** Sends a text: by SMS to a mobile, or to a professional through the professional messaging. */
export interface MessageSender {
  send(to: string, text: string): Promise<unknown>;
}

export interface DispatchDeps<C extends Claim = Claim> {
  outbox: Outbox<C>;
  sms: MessageSender;
  /** Messages to professionals (attending physicians); without it, such messages fail and are retried. */
  professionals?: MessageSender | undefined;
  logger: Logger;
  /** Counts the SMS sent, by kind. */
  metrics?: Metrics | undefined;
}

export interface DispatchReport {
  sent: number;
  failed: number;
  parked: number;
}

export class OutboxDispatcher<C extends Claim = Claim> {
  private readonly d: DispatchDeps<C>;
  constructor(deps: DispatchDeps<C>) {
    this.d = deps;
  }

  /** Every message whose next attempt is due at `now`, at most `batch` from each part of the queue. */
  async sweep(now: Date, batch = 100): Promise<DispatchReport> {
    const report: DispatchReport = { sent: 0, failed: 0, parked: 0 };
    for await (const ref of this.d.outbox.due(now, batch)) await this.dispatch(ref, now, report);
    return report;
  }

  /** One message or fan-out (the stream names each new one). */
  async dispatch(ref: MessageRef, now: Date, report: DispatchReport = { sent: 0, failed: 0, parked: 0 }): Promise<DispatchReport> {
    const { outbox } = this.d;
    const claim = await outbox.claim(ref, now, new Date(now.getTime() + LEASE_MS));
    if (!claim) return report;
    let expanded: MessageRef[] = [];
    try {
      if (claim.fanOut) {
        const messages = await outbox.expand(ref, claim);
        await outbox.finish(ref, messages ? 'expanded' : 'dropped', now);
        if (messages) this.d.logger.info('fan-out expanded', { dmpId: claim.dmpId, messages: messages.length });
        expanded = messages ?? [];
      } else {
        await this.send(ref, claim, now, report);
      }
    } catch (error) {
      this.d.logger.warn(claim.fanOut ? 'fan-out not expanded' : 'notification not sent', { dmpId: claim.dmpId, attempts: claim.attempts, errorName: (error as Error).name });
      if (claim.attempts >= MAX_ATTEMPTS) {
        await outbox.park(ref, now);
        report.parked += 1;
      } else {
        await outbox.retryAt(ref, new Date(now.getTime() + backoffMs(claim.attempts)));
        report.failed += 1;
      }
    }
    // The fan-out's messages, each claimed, sent and marked like any other: one already sent, or
    // taken by another dispatcher, is skipped by its claim.
    for (const message of expanded.slice(0, FAN_OUT_INLINE)) await this.dispatch(message, now, report);
    return report;
  }

  private async send(ref: MessageRef, claim: C, now: Date, report: DispatchReport): Promise<void> {
    const { outbox } = this.d;
    const message = await outbox.open(ref, claim);
    if (!message) {
      await outbox.finish(ref, 'dropped', now);
      return;
    }
    const sender = message.channel === 'professional' ? this.d.professionals : this.d.sms;
    if (!sender) throw new Error('no professional messaging configured');
    await sender.send(message.to, message.text);
    if (message.channel === 'sms') this.d.metrics?.count('SmsSent', { Kind: message.kind ?? 'notification' });
    await outbox.finish(ref, 'sent', now);
    report.sent += 1;
  }
}
