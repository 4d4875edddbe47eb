/** Timed requests to a benchmark's server: percentiles of `runs` requests after one warm-up. */

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `timed(name, server, makePath)` and `timedPost(name, server, path, makeBody)`, each `runs` times. */
export function requestTimer(runs, log) {
  /** Runs `runs` requests (after one warm-up) made by `makeRequest(i)` = [path, init]; their percentiles. */
  async function timedRequests(name, server, makeRequest) {
    const get = async ([path, init]) => {
      const started = performance.now();
      const response = await fetch(`${server.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${server.token}`, ...init.headers },
      });
      const bytes = (await response.arrayBuffer()).byteLength;
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return { ms: performance.now() - started, bytes };
    };
    await get(makeRequest(-1));
    const times = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const answer = await get(makeRequest(i));
      times.push(answer.ms);
      bytes = answer.bytes;
    }
    times.sort((a, b) => a - b);
    const round = (v) => Math.round(v * 10) / 10;
    log(`${name}: p50 ${round(percentile(times, 50))} ms, p95 ${round(percentile(times, 95))} ms`);
    return {
      runs,
      p50_ms: round(percentile(times, 50)),
      p95_ms: round(percentile(times, 95)),
      max_ms: round(times.at(-1)),
      bytes,
    };
  }
  return {
    timedRequests,
    timed: (name, server, makePath) => timedRequests(name, server, (i) => [makePath(i), {}]),
    timedPost: (name, server, path, makeBody) =>
      timedRequests(name, server, () => [
        path,
        {
          method: 'POST',
          body: JSON.stringify(makeBody()),
          headers: { 'content-type': 'application/json' },
        },
      ]),
  };
}
