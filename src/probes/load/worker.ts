import { parentPort, workerData } from 'node:worker_threads';
import { LoadGenerator } from './generator.js';
import { attrsFromWire, intervalsToWire, type ToWorker, type WireAttrs } from './wire.js';
import { silentLogger } from '../../log.js';

/*
 * The load generator's own thread: its timers and sockets run on an event loop nobody else uses, so
 * an embedded proxy or the system under test in the main thread cannot delay its sends. The main
 * thread drives it by messages (ThreadedLoadGenerator).
 */
const port = parentPort!;
const attrs = attrsFromWire(workerData.attrs as WireAttrs);
// The warm-up ramps the rate up (see LoadGenerator): the engine measures nothing before it ends.
const gen = new LoadGenerator(attrs, { name: String(workerData.name), rampMs: attrs.warmupMs });
const halt = new AbortController();

port.on('message', (m: ToWorker) => {
  void handle(m).then(
    (result) => port.postMessage({ id: m.id, ok: true, result }),
    (err: unknown) => port.postMessage({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});

async function handle(m: ToWorker): Promise<unknown> {
  switch (m.op) {
    case 'start':
      return gen.start({ signal: halt.signal, logger: silentLogger() });
    case 'collect':
      return intervalsToWire(await gen.collect());
    case 'beginWindow':
      return gen.beginWindow();
    case 'endWindow':
      return gen.endWindow();
    case 'halt':
      return halt.abort();
    case 'stop':
      await gen.stop();
      return gen.stats();
  }
}
