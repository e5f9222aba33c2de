// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per package,
// which is what "name the top costs of the hot path" needs.
import { readFile } from 'node:fs/promises';

/** Self-time shares of a profile: top functions and top origins (package or node internals). */
export async function summariseProfile(path, top = 15) {
  const profile = JSON.parse(await readFile(path, 'utf8'));
  const selfTicks = new Map();
  for (const sample of profile.samples) selfTicks.set(sample, (selfTicks.get(sample) ?? 0) + 1);
  const total = profile.samples.length;
  const byFunction = new Map();
  const byOrigin = new Map();
  for (const node of profile.nodes) {
    const ticks = selfTicks.get(node.id) ?? 0;
    if (ticks === 0) continue;
    const frame = node.callFrame;
    const origin = originOf(frame.url, frame.functionName);
    const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ticks);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + ticks);
  }
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ticks]) => ({ name, share: ticks / total }));
  return { samples: total, functions: rank(byFunction), origins: rank(byOrigin) };
}

function originOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.includes('/packages/')) return url.slice(url.indexOf('/packages/') + 10).split('/')[0];
  return url;
}

function shortUrl(url) {
  if (!url) return '';
  const cut = url.lastIndexOf('node_modules/');
  if (cut >= 0) return url.slice(cut + 13);
  const pkg = url.indexOf('/packages/');
  return pkg >= 0 ? url.slice(pkg + 10) : url.replace(/^file:\/\//, '');
}
