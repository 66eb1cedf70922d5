import {
  BeforeApplicationShutdown,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { OutboxRepository } from './outbox.repository.js';

/** How often the pending count is read again; a request's check only reads the last count. */
const REFRESH_MS = 500;

/**
 * Back-pressure for new work. Past its capacity the loop completes fewer loops, not more: taking
 * every incident in takes the CPU the bridges need, and every loop in flight slows down. So
 * while more than OUTBOX_BACKLOG_LIMIT deliveries are pending (counted on the shared database,
 * so every replica sees the same backlog), new incidents are refused with 429 and `Retry-After`
 * until the bridges catch up.
 */
@Injectable()
export class OutboxBacklog implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxBacklog.name);
  private pending = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly store: OutboxRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.outbox.backlogLimit > 0) void this.refresh();
  }

  /** Before the pool closes, so no count is attempted on a closed pool. */
  beforeApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The deliveries pending and the limit when they are over OUTBOX_BACKLOG_LIMIT; null while new work is welcome. */
  overLimit(): { pending: number; limit: number } | null {
    const limit = this.config.outbox.backlogLimit;
    return limit > 0 && this.pending > limit ? { pending: this.pending, limit } : null;
  }

  /**
   * For routes that take new work: while over the limit, a 429 with `Retry-After: 1` set on `res`;
   * or a 503, for a sender that retries only 5xx answers (Alertmanager's webhook).
   */
  refuseWhenBehind(
    res: { setHeader(name: string, value: string): unknown },
    status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE = HttpStatus.TOO_MANY_REQUESTS,
  ): void {
    const behind = this.overLimit();
    if (behind === null) return;
    res.setHeader('Retry-After', '1');
    throw new HttpException(
      {
        statusCode: status,
        error: status === HttpStatus.TOO_MANY_REQUESTS ? 'Too Many Requests' : 'Service Unavailable',
        message: `the loop is behind (${behind.pending} outbox deliveries pending, over the limit of ${behind.limit}); retry later`,
      },
      status,
    );
  }

  private async refresh(): Promise<void> {
    try {
      this.pending = await this.store.pendingCount();
    } catch (err) {
      // The last count stands until the database answers again.
      this.logger.warn(`counting pending outbox deliveries failed: ${String(err)}`);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }
}
