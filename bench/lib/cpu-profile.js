// Summarises a V8 .cpuprofile (from node --cpu-prof): the functions with the most self time, and
// self time per package, which is what says where a request's CPU goes.
import { readFileSync } from 'node:fs';

/**
 * `windows`: [{ fromMicros, toMicros }] on the process's monotonic clock (process.hrtime, which is
 * the profiler's clock too): only samples taken inside them count, e.g. the measured runs without
 * the start-up and the idle time between them. Without windows the whole profile counts.
 */
export function summariseCpuProfile(file, { windows, top = 25 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
  const hitsById = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    if (windows && !windows.some((w) => at >= w.fromMicros && at <= w.toMicros)) continue;
    hitsById.set(profile.samples[i], (hitsById.get(profile.samples[i]) ?? 0) + 1);
  }
  const totalSamples = [...hitsById.values()].reduce((sum, hits) => sum + hits, 0);
  const wallMs = windows
    ? windows.reduce((sum, w) => sum + (w.toMicros - w.fromMicros), 0) / 1000
    : (profile.endTime - profile.startTime) / 1000;
  const msPerSample = totalSamples ? wallMs / totalSamples : 0;
  const byFunction = new Map();
  const byPackage = new Map();
  let idle = 0;
  for (const [id, hits] of hitsById) {
    const { functionName, url, lineNumber } = nodeById.get(id).callFrame;
    if (functionName === '(idle)') {
      idle += hits;
      continue;
    }
    const where = shortUrl(url);
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    const pkg = packageOf(functionName, url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const busy = totalSamples - idle;
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .map(([name, hits]) => ({ name, selfMs: Math.round(hits * msPerSample), percentOfBusy: pct(hits, busy) }));
  return {
    file,
    windows: windows?.length ?? 0,
    wallMs: Math.round(wallMs),
    busyPercent: pct(busy, totalSamples),
    topFunctions: rank(byFunction).slice(0, top),
    byPackage: rank(byPackage).slice(0, 15),
  };
}

const pct = (part, whole) => (whole ? Math.round((part / whole) * 1000) / 10 : 0);

function shortUrl(url) {
  if (!url) return '(native)';
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules !== -1) return url.slice(inModules + 'node_modules/'.length);
  const inDist = url.indexOf('/dist/');
  if (inDist !== -1) return url.slice(inDist + 1);
  return url.replace(/^file:\/\//, '');
}

function packageOf(functionName, url) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node core';
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules !== -1) {
    const parts = url.slice(inModules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes('/dist/src/')) return 'webhook-inbox (dist/src)';
  if (url.includes('/bench/')) return 'bench harness';
  return url;
}
