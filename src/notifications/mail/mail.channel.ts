import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Tx } from '../../database/db.js';
import { type NotificationChannel, PermanentDeliveryFailure } from '../notification-channel.js';
import { NotificationQueue } from '../notification-queue.js';
import { MAIL_TRANSPORT, type MailTransport } from './mail-transport.js';
import { render, type TemplateData, type TemplateName } from './templates.js';

/** What the queue holds for one mail: which composer writes it, and that composer's input. */
export interface MailJob {
  kind: string;
  [input: string]: unknown;
}

/** A message to send: the recipient, a template and its values. */
export type ComposedMail = { [K in TemplateName]: { to: string; template: K; data: TemplateData[K] } }[TemplateName];

/**
 * Writes the mail for one job when a worker takes it, or returns null when there is nothing to
 * send any more (the account is gone, the address already verified). Composing at delivery
 * rather than at enqueue keeps secrets such as link tokens out of the queue's table.
 */
export type MailComposer<Job extends MailJob = MailJob> = (job: Job, attempt: { id: string }) => Promise<ComposedMail | null>;

/** The `mail` channel: composes each queued job, renders it (text and HTML) and hands it to the transport. */
@Injectable()
export class MailChannel implements NotificationChannel<MailJob>, OnModuleInit {
  readonly name = 'mail';
  private readonly composers = new Map<string, MailComposer>();

  constructor(
    private readonly queue: NotificationQueue,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
  ) {}

  onModuleInit(): void {
    this.queue.register(this);
  }

  /** Called by a feature module at construction: `kind` names the jobs this composer writes. */
  addComposer<Job extends MailJob>(kind: Job['kind'], composer: MailComposer<Job>): void {
    if (this.composers.has(kind)) throw new Error(`mail composer ${kind} registered twice`);
    this.composers.set(kind, composer as MailComposer);
  }

  /** Queues a mail inside the caller's transaction. */
  enqueue<Job extends MailJob>(tx: Tx, job: Job): Promise<string> {
    if (!this.composers.has(job.kind)) throw new Error(`no mail composer ${job.kind}`);
    return this.queue.enqueue(tx, this.name, job);
  }

  async deliver(job: MailJob, attempt: { id: string; signal: AbortSignal }): Promise<void> {
    const composer = this.composers.get(job.kind);
    if (!composer) throw new PermanentDeliveryFailure(`no mail composer ${job.kind}`);
    const mail = await composer(job, attempt);
    if (!mail) return;
    const rendered = render(mail.template, mail.data as never);
    await this.transport.send({ id: attempt.id, to: mail.to, ...rendered }, attempt.signal);
  }
}
