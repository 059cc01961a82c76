// Where the main thread's time goes before the first frame: a sampled CPU profile (Chromium's
// DevTools protocol, 0.2 ms samples) from navigation to beatPaxosReady: self time by crate, and
// time by function including what it calls. Needs a build that keeps function names
// (`scripts/web.sh profile` makes one). Sampling slows the page down, so the times are larger
// than the benchmark's; compare shares, not milliseconds. Usage: node profile.mjs DIST [RUNS] [TOP]
import { launchChromium } from "./browser.mjs";
import { serve } from "../../scripts/serve.mjs";

const [dist = "../../dist", runsArg = "3", topArg = "60"] = process.argv.slice(2);
const server = await serve(dist, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launchChromium();

// The crate of a Rust symbol such as `bevy_ecs::world::World::spawn::h0123` or `<T as a::B>::c`.
const crateOf = (name) => {
  const m = name.match(/^(?:<(?:&(?:mut )?)?)?([a-z_][a-z0-9_]*)::/);
  if (m) return m[1];
  if (/^wasm-function|^\(program\)|^\(idle\)|^\(garbage collector\)/.test(name)) return name.replace(/\[.*/, "");
  return name === "" ? "(anonymous js)" : "js: " + name;
};

const selfByCrate = new Map();
const inclusive = new Map();
const add = (map, key, ms) => map.set(key, (map.get(key) || 0) + ms);
const runs = Number(runsArg);
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  await page.goto(base + "?mode=paxos&nodes=5&seed=1");
  await page.waitForFunction(() => window.beatPaxosReady === true, null, { timeout: 120_000, polling: 10 });
  const first = await page.evaluate(() => window.beatPaxosFirstFrameMs);
  const { profile } = await cdp.send("Profiler.stop");
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const stackCache = new Map();
  // A sample lasts until the next one; the time between them is the next one's delta.
  for (let k = 0; k < profile.samples.length; k++) {
    const id = profile.samples[k];
    const ms = (profile.timeDeltas[k + 1] ?? 0) / 1000;
    if (!stackCache.has(id)) {
      const seen = new Set();
      for (let at = id; at !== undefined; at = parent.get(at)) seen.add(nodes.get(at).callFrame.functionName.replace(/::h[0-9a-f]{16}$/, ""));
      stackCache.set(id, [...seen]);
    }
    add(selfByCrate, crateOf(nodes.get(id).callFrame.functionName), ms / runs);
    for (const f of stackCache.get(id)) add(inclusive, f, ms / runs);
  }
  console.log(`run ${i + 1}: first frame ${Math.round(first)} ms`);
  await context.close();
}
await browser.close();
server.close();
const top = Number(topArg);
const show = (title, map) => {
  console.log(`\n${title} (ms, mean of ${runs})`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${v.toFixed(0).padStart(7)}  ${k}`);
};
show("self time by crate", selfByCrate);
show("inclusive time by function", inclusive);
