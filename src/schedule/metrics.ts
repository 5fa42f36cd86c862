import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';

/**
 * What a stuck or skipping scheduler looks like from outside: last and next fire per schedule, runs by
 * outcome, skips by reason, and whether a run is going on. Served on `/metrics` in Prometheus' text
 * format, so an alert can fire when the next fire time is in the past or skips pile up.
 */
export class SchedulerMetrics {
  readonly registry = new Registry();
  private readonly next = new Gauge({ name: 'firebreak_schedule_next_fire_timestamp_seconds', help: 'When each schedule fires next (unix seconds).', labelNames: ['schedule'], registers: [this.registry] });
  private readonly last = new Gauge({ name: 'firebreak_schedule_last_fire_timestamp_seconds', help: 'When each schedule last started a run (unix seconds).', labelNames: ['schedule'], registers: [this.registry] });
  private readonly runs = new Counter({ name: 'firebreak_schedule_runs_total', help: 'Runs started by a schedule, by how they ended.', labelNames: ['schedule', 'status'], registers: [this.registry] });
  private readonly skips = new Counter({ name: 'firebreak_schedule_skips_total', help: 'Slots not run, by reason.', labelNames: ['schedule', 'reason'], registers: [this.registry] });
  private readonly active = new Gauge({ name: 'firebreak_schedule_running', help: '1 while a run of the schedule goes on.', labelNames: ['schedule'], registers: [this.registry] });
  private readonly up = new Gauge({ name: 'firebreak_scheduler_up', help: '1 while the scheduler runs.', registers: [this.registry] });

  constructor(schedules: readonly string[]) {
    this.up.set(1);
    for (const s of schedules) {
      this.active.set({ schedule: s }, 0);
      for (const status of ['passed', 'failed', 'interrupted']) this.runs.inc({ schedule: s, status }, 0);
    }
  }

  nextFire(schedule: string, ms: number): void {
    this.next.set({ schedule }, ms / 1000);
  }

  lastFire(schedule: string, ms: number): void {
    this.last.set({ schedule }, ms / 1000);
  }

  running(schedule: string, on: boolean): void {
    this.active.set({ schedule }, on ? 1 : 0);
  }

  finished(schedule: string, status: 'passed' | 'failed' | 'interrupted'): void {
    this.runs.inc({ schedule, status });
  }

  skipped(schedule: string, reason: string): void {
    this.skips.inc({ schedule, reason });
  }

  /** Serves `/metrics` on host:port (port 0: any free one); resolves with the bound address. */
  async serve(host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    return {
      url: `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`,
      close: () => new Promise<void>((resolve) => {
        this.up.set(0);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    };
  }
}
