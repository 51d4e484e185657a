/**
 * Runs a Zuora emulator on its own thread for the benchmark, so the emulated server does not
 * share the measured client's event loop (a real Zuora does not either).
 * Messages: {seed: n} adds n stale jobs, {stats: true} answers request counts, {close: true}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ZuoraEmulator } from '../test/emulator/zuora.ts';

const zuora = await ZuoraEmulator.start({
  latencyMs: (workerData as { latencyMs: number }).latencyMs,
});
parentPort?.postMessage({ url: zuora.url });
parentPort?.on('message', async (message: { seed?: number; stats?: boolean; close?: boolean }) => {
  if (message.seed !== undefined) {
    for (let i = 0; i < message.seed; i++) zuora.addJob({ ageMinutes: 300 + i });
    parentPort?.postMessage({ seeded: message.seed });
  }
  if (message.stats) {
    parentPort?.postMessage({
      requests: zuora.requests.length,
      token: zuora.requestsTo('token').length,
      list: zuora.requestsTo('list').length,
    });
  }
  if (message.close) {
    await zuora.close();
    parentPort?.close();
  }
});
