// The console's responsiveness as a benchmark sees it: GET /api/health in a loop.

/**
 * GET /api/health every intervalMs after the answer to the one before; latencies in ms and the
 * count of answers other than 200. One request is made before timing starts: a process's first
 * fetch() sets up its HTTP client and connection (65–140 ms measured here), a cost of the client,
 * not of the console. Each request waits for the answer before, so a stall of seconds is one
 * sample: the max shows it, and a stalled period has few samples.
 */
export async function healthPoller(url: string, intervalMs: number) {
  const latencies: number[] = [];
  let failures = 0;
  let running = true;
  await (await fetch(`${url}/api/health`)).arrayBuffer();
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${url}/api/health`).catch(() => null);
      await response?.arrayBuffer();
      latencies.push(performance.now() - started);
      if (response?.status !== 200) failures++;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return { stop: async () => ((running = false), await loop, { latencies, failures }) };
}
