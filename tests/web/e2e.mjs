// End-to-end test of the web build in Debian's headless Chromium, driven by playwright-core:
//  1. load dist/ with a shared link, wait for the game's ready signal, fail on any console error
//     or panic, and measure the time to the first frames;
//  2. the same scenario and seed in the browser and through the native `beat-paxos sim` give the
//     same trace (compared by hash);
//  3. an attack by keyboard reaches the core (checked through window.beatPaxos), then one through
//     the JS API; a screenshot goes to artifacts/web-paxos.png;
//  4. an invalid link parameter falls back to defaults with a warning, and ec-counter loads;
//  5. time travel: a round played through the API, saved as a replay and opened from its share
//     link in a fresh page, gives the trace `beat-paxos sim --replay` gives; seek(t) shows the
//     state of a run stopped at t; a tampered link falls back to a fresh round, saying why;
//  6. lessons by link: a break-it lesson stops on the violation; classroom mode;
//  7. a phone held upright (390x844, touch only): tap, double tap, press and hold, drag.
//  8. the network player: a round through the JS API and one with clicks and keys alone, each
//     replayed natively to the same trace; "can this still break?" at five moments, with
//     native's state counts; a way to break each broken variant from the start, played out.
// Usage: node e2e.mjs DIST NATIVE_BINARY ARTIFACTS_DIR
import { launchChromium } from "./browser.mjs";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { serve } from "../../scripts/serve.mjs";

const [dist = "../../dist", native = process.env.BEAT_PAXOS_BIN, artifacts = "../../artifacts"] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const results = { passed: 0, failed: 0 };
const figures = {};

function check(name, ok, detail = "") {
  if (ok) results.passed++;
  else results.failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` (${detail})` : ""}`);
}

const server = await serve(dist, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launchChromium();

/** Opens a page on `query`, collecting console errors; resolves once the game says it is ready.
 *  `device` overrides the page's viewport and input (e.g. a phone with touch). */
async function open(query, device = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, ...device });
  const errors = [];
  const warnings = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
    if (m.type() === "warning") warnings.push(m.text());
  });
  page.on("pageerror", (e) => {
    if (!String(e.message).startsWith("Using exceptions for control flow")) errors.push(`page error: ${e.message}`);
  });
  const started = Date.now();
  await page.goto(base + query);
  await page.waitForFunction(() => window.beatPaxosReady === true && window.beatPaxos && window.wasmBindings, null, { timeout: 180_000 });
  const firstFrameMs = await page.evaluate(() => window.beatPaxosFirstFrameMs);
  return { page, errors, warnings, firstFrameMs, wallMs: Date.now() - started };
}

const state = (page) => page.evaluate(() => window.beatPaxos.state());

/** The headers the server sends for `path` to a browser that accepts `encoding`. */
function headersFor(path, encoding) {
  return new Promise((resolve, reject) => {
    get(base + path, { headers: { "accept-encoding": encoding } }, (res) => {
      res.resume();
      resolve(res.headers);
    }).on("error", reject);
  });
}

try {
  // 0: the .wasm goes out precompressed, brotli where accepted, gzip otherwise.
  const wasmName = readdirSync(dist).find((f) => f.endsWith(".wasm"));
  const br = await headersFor(wasmName, "gzip, deflate, br, zstd");
  const gz = await headersFor(wasmName, "gzip, deflate");
  const plain = await headersFor(wasmName, "identity");
  const html = await headersFor("", "gzip, deflate, br, zstd");
  check("the .wasm is served precompressed with the right headers, kept by the browser; the page revalidated",
    br["content-encoding"] === "br" && gz["content-encoding"] === "gzip" && plain["content-encoding"] === undefined
      && [br, gz, plain].every((h) => h["content-type"] === "application/wasm" && h.vary === "Accept-Encoding"
        && h["cache-control"].includes("immutable"))
      && html["cache-control"] === "no-cache" && html.etag !== undefined,
    `br ${br["content-length"]} bytes, gzip ${gz["content-length"]}, identity ${plain["content-length"]}; `
      + `wasm ${br["cache-control"]}, page ${html["cache-control"]}`);

  // 1 + 2: a shared link, and the same run as native.
  const { page, errors, firstFrameMs } = await open("?mode=paxos&nodes=3&seed=42&speed=5");
  figures.first_frame_ms = Math.round(firstFrameMs);
  check("the game starts and signals ready", true, `first frames ${Math.round(firstFrameMs)} ms after navigation`);
  let s = await state(page);
  check("the link chose the game", s.mode === "paxos" && s.seed === 42 && s.nodes.length === 3, JSON.stringify({ mode: s.mode, seed: s.seed }));

  const summary = JSON.parse(execFileSync(native, ["sim", "--mode", "paxos", "--nodes", "3", "--seed", "42", "--trace", `${artifacts}/native-trace.jsonl`]));
  await page.waitForFunction((n) => window.beatPaxos.state().trace_len >= n, summary.trace_events, { timeout: 180_000 });
  const webHash = await page.evaluate((n) => window.beatPaxos.traceHash(n), summary.trace_events);
  check("same seed, same trace: browser and native", webHash === summary.trace_hash,
    `${summary.trace_events} events, native ${summary.trace_hash}, web ${webHash}`);
  s = await state(page);
  check("the round decided with safety held", s.outcome !== null && s.violations.length === 0, `score ${s.outcome && s.outcome.score}`);
  check("no console errors (round 1)", errors.length === 0, errors.join(" | "));
  await page.close();

  // 2b: a longer run with faults: a built-in scenario by link, against the same scenario file.
  const duel = await open("?scenario=dueling-leaders&speed=5");
  const scenarioRun = JSON.parse(execFileSync(native, ["sim", "--scenario", "../../assets/scenarios/dueling-leaders.json", "--trace", `${artifacts}/native-duel.jsonl`]));
  await duel.page.waitForFunction((n) => window.beatPaxos.state().trace_len >= n, scenarioRun.trace_events, { timeout: 180_000 });
  const duelHash = await duel.page.evaluate((n) => window.beatPaxos.traceHash(n), scenarioRun.trace_events);
  check("same scenario, same trace: browser and native", duelHash === scenarioRun.trace_hash,
    `${scenarioRun.trace_events} events, ${scenarioRun.ballots} ballots, native ${scenarioRun.trace_hash}, web ${duelHash}`);
  check("no console errors (scenario)", duel.errors.length === 0, duel.errors.join(" | "));
  await duel.page.close();

  // 3: attacks through the keyboard and through the API.
  const second = await open("?mode=paxos&nodes=5&seed=7");
  // Focus the canvas on empty space in the cluster's area (a click in the diagram below would
  // move the round to that moment).
  await second.page.mouse.click(60, 300);
  await second.page.keyboard.press("1");
  await second.page.keyboard.press("k");
  await second.page.waitForFunction(() => window.beatPaxos.state().nodes[0].down === true, null, { timeout: 30_000 }).catch(() => {});
  s = await state(second.page);
  check("keyboard 1 then K kills red in the core", s.nodes[0].down === true && s.moves.length === 1, JSON.stringify(s.moves));
  await second.page.evaluate(() => window.beatPaxos.act({ Cut: [1, 2] }));
  await second.page.waitForFunction(() => window.beatPaxos.state().moves.length === 2, null, { timeout: 30_000 }).catch(() => {});
  s = await state(second.page);
  check("an attack through window.beatPaxos.act reaches the core", s.moves.length === 2 && JSON.stringify(s.moves[1].attack) === '{"Cut":[1,2]}');
  await second.page.waitForFunction(() => window.beatPaxos.state().in_flight > 0, null, { timeout: 60_000 }).catch(() => {});
  await second.page.screenshot({ path: `${artifacts}/web-paxos.png` });
  check("no console errors (round 2)", second.errors.length === 0, second.errors.join(" | "));
  await second.page.close();

  // 4: a bad link falls back with a warning; ec-counter runs.
  const third = await open("?mode=ec-counter&servers=40&seed=3");
  s = await state(third.page);
  check("an invalid parameter falls back to the default", s.mode === "ec-counter" && s.nodes.length === 3 + 5, `${s.nodes.length} nodes`);
  check("and says so", third.warnings.some((w) => w.includes("servers=40")), third.warnings.join(" | "));
  await third.page.waitForFunction(() => window.beatPaxos.state().tick > 600, null, { timeout: 60_000 }).catch(() => {});
  await third.page.screenshot({ path: `${artifacts}/web-ec-counter.png` });
  check("no console errors (ec-counter)", third.errors.length === 0, third.errors.join(" | "));
  await third.page.close();

  // 5: time travel. Play a round with several attacks through the API.
  // At 1x: the round lasts seconds, so that each attack lands before the cluster decides even
  // when the machine is busy and frames are slow.
  const player = await open("?mode=paxos&nodes=5&seed=11&speed=1");
  const attackAt = async (tick, attack) => {
    await player.page.waitForFunction((t) => window.beatPaxos.state().tick >= t, tick, { timeout: 60_000 });
    await player.page.evaluate((a) => window.beatPaxos.act(a), attack);
  };
  await attackAt(150, { Isolate: 0 });
  await attackAt(350, { ToggleDown: 1 });
  await attackAt(550, { Cut: [2, 3] });
  await attackAt(750, { ToggleDown: 1 });
  await attackAt(900, { Slow: [4, true] });
  await player.page.waitForFunction(() => window.beatPaxos.state().outcome !== null, null, { timeout: 120_000 });
  s = await state(player.page);
  const played = s.moves.length;
  const replay = await player.page.evaluate(() => window.beatPaxos.replay());
  writeFileSync(`${artifacts}/web-replay.json`, replay);
  const replayed = JSON.parse(execFileSync(native, ["sim", "--replay", `${artifacts}/web-replay.json`]));
  // The game keeps running behind the results; its trace starts with the replay's run.
  await player.page.waitForFunction((n) => window.beatPaxos.state().trace_len >= n, replayed.trace_events, { timeout: 60_000 });
  const playedHash = await player.page.evaluate((n) => window.beatPaxos.traceHash(n), replayed.trace_events);
  check("a round played in the browser replays natively to the same trace", played >= 4 && playedHash === replayed.trace_hash,
    `${played} moves, ${replayed.trace_events} events, web ${playedHash}, native ${replayed.trace_hash}`);
  check("the share link carries the moves", s.share.includes("moves=") && s.share.length < 2000, s.share);

  // Rewind: the state at t is the state of a fresh run stopped at t.
  // Before the first decision, so the native run is not cut short by the round's end.
  const t = Math.max(1, Math.floor(replayed.decision_tick * 0.6));
  await player.page.evaluate((tick) => window.beatPaxos.seek(tick), t);
  await player.page.waitForFunction((tick) => {
    const now = window.beatPaxos.state();
    return now.tick === tick && now.screen === "playing";
  }, t, { timeout: 30_000 }).catch(() => {});
  const rewound = await state(player.page);
  const stopped = JSON.parse(execFileSync(native, ["sim", "--replay", `${artifacts}/web-replay.json`, "--max-ticks", String(t)]));
  const rewoundHash = await player.page.evaluate((n) => window.beatPaxos.traceHash(n), rewound.trace_len);
  check("seek(t) shows the state of a run stopped at t",
    rewound.trace_len === stopped.trace_events && rewoundHash === stopped.trace_hash
      && ["sent", "delivered", "dropped"].every((k) => rewound.messages[k] === stopped.messages[k])
      && rewound.screen === "playing",
    `t=${t}: web ${rewound.trace_len} events ${rewoundHash} ${JSON.stringify(rewound.messages)} ${rewound.screen}, `
      + `native ${stopped.trace_events} events ${stopped.trace_hash} ${JSON.stringify(stopped.messages)}`);
  await player.page.screenshot({ path: `${artifacts}/web-rewound.png` });
  check("no console errors (time travel)", player.errors.length === 0, player.errors.join(" | "));
  await player.page.close();

  // The share link, opened in a fresh page, plays the round back.
  const shared = await open(s.share + "&speed=5");
  await shared.page.waitForFunction((n) => window.beatPaxos.state().trace_len >= n, replayed.trace_events, { timeout: 180_000 });
  const sharedHash = await shared.page.evaluate((n) => window.beatPaxos.traceHash(n), replayed.trace_events);
  const sharedState = await state(shared.page);
  check("the share link replays the round: same trace as the replay file", sharedHash === replayed.trace_hash && sharedState.moves.length === played,
    `web ${sharedHash}, native ${replayed.trace_hash}, ${sharedState.moves.length} moves`);
  check("no console errors (shared link)", shared.errors.length === 0, shared.errors.join(" | "));
  await shared.page.close();

  // A break-it lesson's solution, by link: the checker catches the broken protocol, the game
  // pauses on that moment and the violation window is open.
  const amnesia = JSON.parse(execFileSync(native, ["lesson", "break-amnesia", "--solve"]));
  const broken = await open(amnesia.link + "&speed=5");
  await broken.page.waitForFunction(() => window.beatPaxos.state().alarm !== null, null, { timeout: 180_000 });
  // The game seeks back to the violation's tick over the next frames.
  await broken.page.waitForFunction(() => { const now = window.beatPaxos.state(); return now.tick === now.alarm.tick; }, null, { timeout: 10_000 }).catch(() => {});
  await broken.page.waitForTimeout(500);
  const caught = await state(broken.page);
  check("a break-it lesson ends with the violation shown and the game paused on it",
    caught.broken === "amnesia" && caught.alarm.open && caught.paused && caught.alarm.kind === caught.violations[0].kind
      && caught.tick === caught.alarm.tick && caught.alarm.tick === amnesia.met_at,
    JSON.stringify({ alarm: caught.alarm, tick: caught.tick, met_at: amnesia.met_at, paused: caught.paused }));
  await broken.page.screenshot({ path: `${artifacts}/web-break-amnesia.png` });
  check("no console errors (break-it lesson)", broken.errors.length === 0, broken.errors.join(" | "));
  await broken.page.close();

  // Classroom mode by link, on the lesson that shows why two majorities cannot disagree.
  const carried = JSON.parse(execFileSync(native, ["lesson", "cannot-disagree", "--solve"]));
  const classroom = await open(carried.link + "&speed=5&present=1");
  await classroom.page.waitForFunction(() => window.beatPaxos.state().quorums >= 2, null, { timeout: 180_000 });
  await classroom.page.waitForTimeout(500);
  const taught = await state(classroom.page);
  check("classroom mode: captions in words, and the majorities outlined",
    taught.classroom === true && typeof taught.caption === "string" && taught.caption.length > 20 && taught.quorums >= 2,
    JSON.stringify({ classroom: taught.classroom, caption: taught.caption, quorums: taught.quorums }));
  await classroom.page.screenshot({ path: `${artifacts}/web-classroom.png` });
  check("no console errors (classroom)", classroom.errors.length === 0, classroom.errors.join(" | "));
  await classroom.page.close();

  // Lesson 1 by link: it opens paused at its very start, saying how to step through it.
  const first = await open("?lesson=first-decision");
  await first.page.waitForTimeout(1500);
  const opened = await state(first.page);
  check("lesson 1 opens paused at its very start", opened.paused === true && opened.tick === 0,
    JSON.stringify({ paused: opened.paused, tick: opened.tick }));
  await first.page.screenshot({ path: `${artifacts}/web-lesson1-start.png` });
  check("no console errors (lesson 1)", first.errors.length === 0, first.errors.join(" | "));
  await first.page.close();

  // Raft by link: a round of 5 servers runs to every command committed, with the same trace as
  // native; then 3 and 9 servers are drawn (screenshots for docs/raft.md).
  const raftRun = JSON.parse(execFileSync(native, ["sim", "--mode", "raft", "--nodes", "5", "--seed", "3", "--trace", `${artifacts}/native-raft.jsonl`]));
  const raft = await open("?mode=raft&servers=5&seed=3&speed=5");
  await raft.page.waitForFunction((n) => window.beatPaxos.state().trace_len >= n, raftRun.trace_events, { timeout: 180_000 });
  const raftHash = await raft.page.evaluate((n) => window.beatPaxos.traceHash(n), raftRun.trace_events);
  await raft.page.waitForFunction(() => window.beatPaxos.state().outcome !== null, null, { timeout: 30_000 }).catch(() => {});
  const raftState = await state(raft.page);
  check("a Raft round: same trace as native, every command committed, safety held",
    raftState.mode === "raft" && raftHash === raftRun.trace_hash && raftRun.value === "3 commands committed"
      && raftState.outcome !== null && raftState.violations.length === 0,
    `${raftRun.trace_events} events, native ${raftRun.trace_hash}, web ${raftHash}, outcome ${JSON.stringify(raftState.outcome)}`);
  await raft.page.screenshot({ path: `${artifacts}/web-raft-5.png` });
  check("no console errors (Raft round)", raft.errors.length === 0, raft.errors.join(" | "));
  await raft.page.close();
  for (const servers of [3, 9]) {
    const sized = await open(`?mode=raft&servers=${servers}&seed=2&speed=5`);
    await sized.page.waitForFunction(() => window.beatPaxos.state().tick > 1200, null, { timeout: 60_000 });
    const drawn = await state(sized.page);
    check(`a Raft round of ${servers} servers runs and draws them all`,
      drawn.mode === "raft" && drawn.nodes.filter((n) => !n.name.startsWith("client")).length === servers
        && drawn.violations.length === 0 && sized.errors.length === 0,
      `${drawn.nodes.length} nodes, errors: ${sized.errors.join(" | ")}`);
    await sized.page.screenshot({ path: `${artifacts}/web-raft-${servers}.png` });
    await sized.page.close();
  }

  // A Raft break-it lesson's solution, by link: two leaders in one term are caught, and the
  // game pauses on that moment.
  const forgetVote = JSON.parse(execFileSync(native, ["lesson", "raft-break-forget-vote", "--solve"]));
  const voted = await open(forgetVote.link + "&speed=5");
  await voted.page.waitForFunction(() => window.beatPaxos.state().alarm !== null, null, { timeout: 180_000 });
  await voted.page.waitForFunction(() => { const now = window.beatPaxos.state(); return now.tick === now.alarm.tick; }, null, { timeout: 10_000 }).catch(() => {});
  await voted.page.waitForTimeout(500);
  const twoLeaders = await state(voted.page);
  check("a Raft lesson by link: forget-vote's two leaders caught, paused on that moment",
    twoLeaders.mode === "raft" && twoLeaders.broken === "forget-vote" && twoLeaders.alarm.open && twoLeaders.paused
      && twoLeaders.alarm.kind === "election-safety" && twoLeaders.alarm.tick === forgetVote.met_at && twoLeaders.tick === twoLeaders.alarm.tick,
    JSON.stringify({ alarm: twoLeaders.alarm, tick: twoLeaders.tick, met_at: forgetVote.met_at }));
  await voted.page.screenshot({ path: `${artifacts}/web-raft-forget-vote.png` });
  check("no console errors (Raft lesson)", voted.errors.length === 0, voted.errors.join(" | "));
  await voted.page.close();

  // The network player: a 3-node round played entirely by hand through the JS API (fire a
  // timer when nothing waits, else deliver the first message waiting), replayed natively to the
  // same trace; "can this still break?" answers no mid-round with native's state count, and
  // finds a way to break amnesia from the start.
  const net = await open("?mode=paxos&nodes=3&seed=5&net=player");
  let hand = await state(net.page);
  const byHand = [];
  for (let move = 0; move < 60 && !(hand.outcome && hand.network.messages.length === 0); move++) {
    const waiting = hand.network.messages;
    if (!waiting.length && !hand.network.timers.length) break;
    const attack = waiting.length ? { Deliver: waiting[0].id } : { Fire: [hand.network.timers[0].node, hand.network.timers[0].timer] };
    byHand.push(attack);
    const made = hand.moves.length;
    await net.page.evaluate((a) => window.beatPaxos.act(a), attack);
    await net.page.waitForFunction((n) => window.beatPaxos.state().moves.length > n, made, { timeout: 10_000 });
    hand = await state(net.page);
    if (byHand.length === 4) {
      // Mid-round: ask the checker here, and natively from the same moment.
      writeFileSync(`${artifacts}/network-mid.json`, await net.page.evaluate(() => window.beatPaxos.replay()));
      await net.page.evaluate(() => window.beatPaxos.askChecker());
      await net.page.waitForFunction(() => window.beatPaxos.checkerAnswer() !== null, null, { timeout: 60_000 });
      const mid = await net.page.evaluate(() => window.beatPaxos.checkerAnswer());
      const asked = JSON.parse(execFileSync(native, ["check", "--from-replay", `${artifacts}/network-mid.json`, "--no-timing"]));
      figures.network_checker_ms = Math.round(mid.ms);
      check("network player: mid-round, 'can this still break?' says no, with native's state count",
        mid.found && mid.found.answer === "no" && asked.answer === "no" && mid.found.unique_states === asked.unique_states,
        `web ${mid.found && mid.found.unique_states} states in ${Math.round(mid.ms)} ms, native ${asked.unique_states}; ${mid.found && mid.found.words}`);
    }
  }
  const handEvents = hand.trace_len;
  const handHash = await net.page.evaluate((n) => window.beatPaxos.traceHash(n), handEvents);
  writeFileSync(`${artifacts}/network-round.json`, await net.page.evaluate(() => window.beatPaxos.replay()));
  const handReplay = JSON.parse(execFileSync(native, ["sim", "--replay", `${artifacts}/network-round.json`, "--trace", `${artifacts}/native-network.jsonl`]));
  check("network player: a round played by hand decides, and replays natively to the same trace",
    hand.outcome !== null && hand.violations.length === 0 && handReplay.trace_hash === handHash && handReplay.trace_events === handEvents,
    `${byHand.length} moves, ${handEvents} events, web ${handHash}, native ${handReplay.trace_hash}`);
  await net.page.screenshot({ path: `${artifacts}/web-network-player.png` });
  check("no console errors (network player)", net.errors.length === 0, net.errors.join(" | "));
  await net.page.close();

  // By hand, with the mouse and the keyboard only: a click on a parked message delivers it
  // (where the game says it drew it); a click on a node selects it and F fires its timer. At
  // five moments along the way "can this still break?" answers no, as `check --from-replay`
  // does natively, with the same state count.
  const clicked = await open("?mode=paxos&nodes=3&seed=8&net=player");
  const onScreen = (predicate, arg) => clicked.page.waitForFunction(predicate, arg, { timeout: 10_000 });
  let byClicks = await state(clicked.page);
  const moments = [];
  let clicks = 0, keys = 0;
  // Until the decision: then the results window covers the cluster.
  for (let move = 0; move < 60 && !byClicks.outcome; move++) {
    const waiting = byClicks.network.messages;
    if (!waiting.length && !byClicks.network.timers.length) break;
    const made = byClicks.moves.length;
    // Two ballots first (red's and green's timers), so the round runs long enough for five
    // moments before its decision; then the first message waiting, each time.
    const firstFires = made < 2 && byClicks.network.timers.some((t) => t.node === made);
    if (waiting.length && !firstFires) {
      const id = waiting[0].id;
      await onScreen((id) => window.beatPaxos.state().message_screens[id] !== undefined, id);
      const at = (await state(clicked.page)).message_screens[id];
      await clicked.page.mouse.click(at.x, at.y);
      clicks++;
    } else {
      const node = firstFires ? made : byClicks.network.timers[0].node;
      // Selected already, a second click could make a double-click (which kills).
      if (byClicks.selected !== node) {
        const at = byClicks.nodes[node].screen;
        await clicked.page.mouse.click(at.x, at.y);
        await onScreen((n) => window.beatPaxos.state().selected === n, node);
      }
      await clicked.page.keyboard.press("f");
      keys++;
    }
    await onScreen((n) => window.beatPaxos.state().moves.length > n, made);
    byClicks = await state(clicked.page);
    if (moments.length < 5 && !byClicks.outcome) {
      const file = `${artifacts}/network-moment-${moments.length}.json`;
      writeFileSync(file, await clicked.page.evaluate(() => window.beatPaxos.replay()));
      await clicked.page.evaluate(() => window.beatPaxos.askChecker());
      await clicked.page.waitForFunction(() => window.beatPaxos.checkerAnswer() !== null, null, { timeout: 60_000 });
      const web = await clicked.page.evaluate(() => window.beatPaxos.checkerAnswer());
      const cli = JSON.parse(execFileSync(native, ["check", "--from-replay", file, "--no-timing"]));
      moments.push({ move: byClicks.moves.length, web: web.found, ms: web.ms, cli });
    }
  }
  const clickedAttacks = byClicks.moves.map((m) => m.attack);
  const byClickOrKey = clickedAttacks.every((a) => "Deliver" in a || "Fire" in a);
  const clickedEvents = byClicks.trace_len;
  const clickedHash = await clicked.page.evaluate((n) => window.beatPaxos.traceHash(n), clickedEvents);
  writeFileSync(`${artifacts}/network-clicked.json`, await clicked.page.evaluate(() => window.beatPaxos.replay()));
  const clickedReplay = JSON.parse(execFileSync(native, ["sim", "--replay", `${artifacts}/network-clicked.json`]));
  check("network player: a round played with clicks and keys alone decides, and replays natively to the same trace",
    byClicks.outcome !== null && byClicks.violations.length === 0 && byClickOrKey && clicks > 0 && keys > 0
      && clickedReplay.trace_hash === clickedHash && clickedReplay.trace_events === clickedEvents,
    `${clicks} clicks, ${keys} keys, ${clickedEvents} events, web ${clickedHash}, native ${clickedReplay.trace_hash}`);
  const agreed = moments.filter((m) => m.web && m.web.answer === "no" && m.cli.answer === "no" && m.web.unique_states === m.cli.unique_states);
  figures.network_moments = moments.map((m) => ({ move: m.move, states: m.web && m.web.unique_states, generated: m.web && m.web.states, ms: Math.round(m.ms) }));
  check("network player: from five mid-round moments the checker says no in the browser, with native's state counts",
    moments.length === 5 && agreed.length === 5 && new Set(moments.map((m) => m.cli.unique_states)).size >= 3,
    moments.map((m) => `move ${m.move}: web ${m.web && m.web.unique_states} in ${Math.round(m.ms)} ms, native ${m.cli.unique_states}`).join("; "));
  await clicked.page.screenshot({ path: `${artifacts}/web-network-clicked.png` });
  check("no console errors (network player, by clicks)", clicked.errors.length === 0, clicked.errors.join(" | "));
  await clicked.page.close();

  // For each broken variant the search reaches from the start, a way within a second (the goal;
  // the check allows 1.5 s, for a CI machine busier than this one: Raft's no-up-to-date-check,
  // which first proves the first term safe, takes about 1 s on a quiet one), which, played move
  // by move, trips the checker.
  const variants = [
    ["paxos", "amnesia", "nodes=3"],
    ["paxos", "skip-highest-accepted", "nodes=3"],
    ["paxos", "accept-after-promise", "nodes=3"],
    ["ec-counter", "no-max", "servers=2&clients=2&requests=2"],
    ["raft", "forget-vote", "servers=3&clients=1&requests=1"],
    ["raft", "no-up-to-date-check", "servers=3&clients=1&requests=1"],
  ];
  figures.network_ways = {};
  for (const [mode, broken, knobs] of variants) {
    const brokenNet = await open(`?mode=${mode}&${knobs}&seed=5&net=player&break=${broken}`);
    await brokenNet.page.evaluate(() => window.beatPaxos.askChecker());
    await brokenNet.page.waitForFunction(() => window.beatPaxos.checkerAnswer() !== null, null, { timeout: 60_000 });
    const way = await brokenNet.page.evaluate(() => window.beatPaxos.checkerAnswer());
    const steps = (way.found && way.found.steps) || [];
    for (const step of steps) {
      const made = (await state(brokenNet.page)).moves.length;
      const attack = step.action;
      const move = attack.action === "deliver" ? (attack.copy ? { DeliverCopy: attack.message } : { Deliver: attack.message })
        : attack.action === "drop" ? { Drop: attack.message }
          : attack.action === "fire" ? { Fire: [attack.node, attack.timer] } : { ToggleDown: attack.node };
      await brokenNet.page.evaluate((a) => window.beatPaxos.act(a), move);
      await brokenNet.page.waitForFunction((n) => window.beatPaxos.state().moves.length > n, made, { timeout: 10_000 });
    }
    await brokenNet.page.waitForFunction(() => window.beatPaxos.state().violations.length > 0, null, { timeout: 10_000 }).catch(() => {});
    const tripped = await state(brokenNet.page);
    figures.network_ways[broken] = { ms: Math.round(way.ms), steps: steps.length, states: way.found && way.found.unique_states, generated: way.found && way.found.states };
    check(`network player: for broken ${broken} the checker finds a way from the start (goal: a second), and played out it trips the checker`,
      way.found && way.found.answer === "yes" && way.ms <= 1500 && tripped.violations.length > 0,
      `${steps.length} steps found in ${Math.round(way.ms)} ms (${way.found && way.found.unique_states} states${way.found ? "" : `; ${JSON.stringify(way)}`}); violations ${JSON.stringify(tripped.violations.map((v) => v.kind))}`);
    check(`no console errors (network player, ${broken})`, brokenNet.errors.length === 0, brokenNet.errors.join(" | "));
    await brokenNet.page.close();
  }

  // A phone held upright: every attack by touch alone. The game publishes where it drew each
  // node; the fingers are Chromium's own touch events (through the DevTools protocol, since
  // playwright can only tap). One CSS pixel per device pixel: headless Chromium's emulated
  // pixel ratio reports the canvas's device-pixel size in CSS pixels, which makes the game
  // think the screen is half as wide as it is (docs/web.md).
  const phone = await open("?mode=paxos&nodes=5&seed=7&speed=0.5",
    { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const cdp = await phone.page.context().newCDPSession(phone.page);
  const finger = (type, x, y) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints: type === "touchEnd" ? [] : [{ x, y }] });
  const nodeAt = async (id) => (await state(phone.page)).nodes[id].screen;
  const waitFor = (predicate, arg) => phone.page.waitForFunction(predicate, arg, { timeout: 10_000 }).then(() => true, () => false);
  // The game tells a tap from a hold by frame time, and the DevTools protocol answers each touch
  // only once the page has handled it, a frame later on a busy machine. So a tap's two events
  // are sent together (a tap shorter than a frame is still a tap), and a drag's first move goes
  // with its press (the game takes a press from where the finger went down).
  const tap = async (id) => {
    const at = await nodeAt(id);
    await Promise.all([finger("touchStart", at.x, at.y), finger("touchEnd")]);
  };
  // Paused (the round would end while a failed gesture is waited for; attacks still apply),
  // and once the panels have settled, so the nodes stay where they were read.
  await phone.page.focus("#beat-paxos");
  await phone.page.keyboard.press("Space");
  const layout = async () => JSON.stringify((await state(phone.page)).nodes.map((n) => n.screen));
  let placedBefore = "";
  for (let tries = 0; tries < 40 && placedBefore !== await layout(); tries++) {
    placedBefore = await layout();
    await phone.page.waitForTimeout(300);
  }
  check("portrait: paused, with the cluster laid out", (await state(phone.page)).paused === true && placedBefore === await layout());
  const placed = (await state(phone.page)).nodes.map((n) => n.screen);
  check("portrait: every node is drawn inside the 390x844 viewport",
    placed.every((p) => p && p.x - p.r >= 0 && p.x + p.r <= 390 && p.y - p.r >= 0 && p.y + p.r <= 844 && p.r >= 10),
    JSON.stringify(placed.map((p) => p && [Math.round(p.x), Math.round(p.y), Math.round(p.r)])));

  await tap(0);
  check("touch: a tap selects a node", await waitFor(() => window.beatPaxos.state().selected === 0),
    `selected ${(await state(phone.page)).selected}`);

  const held = await nodeAt(4);
  await finger("touchStart", held.x, held.y);
  const slowed = await waitFor(() => window.beatPaxos.state().nodes[4].slow > 1);
  await finger("touchEnd");
  const restored = await waitFor(() => window.beatPaxos.state().nodes[4].slow === 1);
  check("touch: press and hold slows a node while held", slowed && restored);

  const from = await nodeAt(1);
  const to = await nodeAt(3);
  const along = (step) => [from.x + (to.x - from.x) * step / 8, from.y + (to.y - from.y) * step / 8];
  await Promise.all([finger("touchStart", from.x, from.y), finger("touchMove", ...along(1))]);
  for (let step = 2; step <= 8; step++) await finger("touchMove", ...along(step));
  await finger("touchEnd");
  check("touch: a drag from node to node cuts their link",
    await waitFor(() => window.beatPaxos.state().moves.some((m) => JSON.stringify(m.attack) === '{"Cut":[1,3]}')));

  // The second tap must come within the double-tap time (0.4 s) of the first one's release, as
  // the game measures it in frame times: so the second follows the first at once, with nothing
  // waited for between them (waiting for the selection cost several slow frames under load).
  const twice = await nodeAt(2);
  await Promise.all([finger("touchStart", twice.x, twice.y), finger("touchEnd")]);
  await Promise.all([finger("touchStart", twice.x, twice.y), finger("touchEnd")]);
  check("touch: a double tap kills a node", await waitFor(() => window.beatPaxos.state().nodes[2].down === true));
  const touched = (await state(phone.page)).moves.map((m) => JSON.stringify(m.attack)).join(",");
  check("touch: exactly the four attacks made, in order",
    touched === '{"Slow":[4,true]},{"Slow":[4,false]},{"Cut":[1,3]},{"ToggleDown":2}', touched);
  await phone.page.screenshot({ path: `${artifacts}/web-touch-portrait.png` });
  check("no console errors (touch)", phone.errors.length === 0, phone.errors.join(" | "));
  await phone.page.close();

  // A tampered link: the moves are refused with a warning and the round starts fresh.
  const tampered = await open(s.share.replace(/moves=([^&]*)/, (_, m) => `moves=${m.slice(0, -3)}`));
  const fresh = await state(tampered.page);
  check("a truncated share link falls back to a fresh round and says why", fresh.moves.length === 0 && fresh.screen === "playing"
    && tampered.warnings.some((w) => w.includes("moves")), tampered.warnings.join(" | "));
  await tampered.page.close();
} catch (e) {
  check("the browser test ran to the end", false, String(e && e.stack || e));
} finally {
  await browser.close();
  server.close();
}
console.log(`web figures: ${JSON.stringify(figures)}`);
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 ? 0 : 1);
