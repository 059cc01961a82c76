// Debian's headless Chromium with software WebGL (SwiftShader), as every browser script here
// runs it: never a browser a tool downloads, no background traffic to skew timings.
import { chromium } from "playwright-core";

const options = {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
};

export function launchChromium() {
  return chromium.launch(options);
}

/** A browser with a profile on disk in `dir`, as a student's is: unlike the contexts of
 * `launchChromium`, which are off the record, it keeps compiled code (V8's code cache) along with
 * the HTTP cache, so a second visit can skip compiling the .wasm. */
export function launchChromiumWithProfile(dir, contextOptions = {}) {
  return chromium.launchPersistentContext(dir, { ...options, ...contextOptions });
}
