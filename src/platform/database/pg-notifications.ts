import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { sessionConnection } from './data-source-options.js';
import { DATABASE_URL } from './database.tokens.js';

type Listener = (payload: string) => void;

/**
 * One dedicated connection that LISTENs on every channel the app cares about
 * (outbox wake-ups, flag changes, loop progress). Reconnects on failure; a listener
 * is told with an empty payload after a reconnect, since notifications may have been missed.
 */
@Injectable()
export class PgNotifications implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PgNotifications.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: pg.Client | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private commands: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(DATABASE_URL) private readonly url: string,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  on(channel: string, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      const client = this.client;
      // One command at a time on this connection (pg does not queue them for us).
      if (client)
        this.commands = this.commands
          .then(() => client.query(`LISTEN ${pg.escapeIdentifier(channel)}`))
          .catch(() => undefined);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...sessionConnection(this.url), application_name: 'pillar-loop-listener' });
    client.on('notification', (msg) => this.dispatch(msg.channel, msg.payload ?? ''));
    client.on('error', (err) => this.handleFailure(client, err));
    client.on('end', () => this.handleFailure(client, new Error('connection ended')));
    await client.connect();
    for (const channel of this.listeners.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.client = client;
  }

  /** NotifyBatcher folds payloads into one NOTIFY, one per line; listeners get them one by one. */
  private dispatch(channel: string, payload: string): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      for (const part of payload.split('\n')) {
        try {
          listener(part);
        } catch (err) {
          this.logger.error(`listener on ${channel} failed: ${String(err)}`);
        }
      }
    }
  }

  private handleFailure(client: pg.Client, err: Error): void {
    if (this.closed || this.client !== client) return;
    this.client = null;
    this.logger.warn(`LISTEN connection lost (${err.message}); reconnecting`);
    client.end().catch(() => undefined);
    const retry = () => {
      this.reconnectTimer = null;
      if (this.closed) return;
      this.connect()
        .then(() => {
          for (const channel of this.listeners.keys()) this.dispatch(channel, '');
        })
        .catch(() => {
          this.reconnectTimer = setTimeout(retry, Math.min(5000, this.config.outbox.pollIntervalMs));
        });
    };
    this.reconnectTimer = setTimeout(retry, 200);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
