// Drives the loading screen while the wasm downloads and compiles, shows a readable error if it
// fails, and exposes window.beatPaxos once the game runs.
export default function initializer() {
  // When each stage ended, in ms after navigation (read by tests/web/bench.mjs).
  const timings = (window.beatPaxosTimings = {});
  const text = document.getElementById("loading-text");
  const bar = document.getElementById("loading-bar");
  const fail = (message) => {
    document.getElementById("loading").hidden = true;
    document.getElementById("failure-text").textContent = message;
    document.getElementById("failure").hidden = false;
  };
  return {
    onStart: () => {
      timings.start = performance.now();
      if (window.beatPaxosUnsupported) {
        fail(window.beatPaxosUnsupported);
        throw new Error(window.beatPaxosUnsupported);
      }
    },
    onProgress: ({ current, total }) => {
      const mb = (n) => (n / 1e6).toFixed(1);
      if (total > 0) {
        bar.style.width = `${Math.round((current / total) * 100)}%`;
        text.textContent = `Downloading the game: ${mb(current)} of ${mb(total)} MB`;
      } else {
        text.textContent = `Downloading the game: ${mb(current)} MB`;
      }
      if (total > 0 && current >= total) {
        timings.downloaded ??= performance.now();
        text.textContent = "Starting\u2026";
      }
    },
    // The wasm has run main(): Bevy's app is built and its event loop has taken over.
    onComplete: () => {
      timings.complete = performance.now();
    },
    onSuccess: () => {
      document.getElementById("loading").hidden = true;
      // trunk sets window.wasmBindings right after this returns, so look it up on each call.
      const bindings = () => {
        if (!window.wasmBindings) throw new Error("Beat Paxos is still starting");
        return window.wasmBindings;
      };
      window.beatPaxos = {
        state: () => JSON.parse(bindings().beat_paxos_state() || "{}"),
        act: (attack) => bindings().beat_paxos_act(JSON.stringify(attack)),
        traceHash: (events) => bindings().beat_paxos_trace_hash(events),
        seek: (tick) => bindings().beat_paxos_seek(tick),
        replay: () => bindings().beat_paxos_replay(),
        askChecker: () => bindings().beat_paxos_ask_checker(),
        checkerAnswer: () => JSON.parse(bindings().beat_paxos_checker_answer() || "null"),
      };
      document.getElementById("beat-paxos").focus();
    },
    onFailure: (error) => {
      // Bevy's event loop leaves wasm by throwing this on purpose.
      if (String(error && error.message).startsWith("Using exceptions for control flow")) {
        document.getElementById("loading").hidden = true;
        return;
      }
      fail(String((error && error.message) || error));
    },
  };
}
