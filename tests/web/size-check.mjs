// Fails when the web build's .wasm, gzip -9, grows more than 5% over the figure recorded in
// tests/web/size-budget.json (update that figure, in the same commit, when growth is intended;
// shrinking never fails but is reported so the figure can be lowered).
// Usage: node size-check.mjs DIST
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { gzip } from "../../scripts/compress.mjs";

const dist = process.argv[2] || "../../dist";
const budget = JSON.parse(readFileSync(new URL("./size-budget.json", import.meta.url)));
const name = readdirSync(dist).find((f) => f.endsWith(".wasm"));
const gz = existsSync(join(dist, `${name}.gz`))
  ? readFileSync(join(dist, `${name}.gz`)).length
  : gzip(readFileSync(join(dist, name))).length;
const limit = Math.floor(budget.wasm_gzip_bytes * (1 + budget.tolerance));
const pct = (100 * (gz / budget.wasm_gzip_bytes - 1)).toFixed(1);
if (gz > limit) {
  console.log(`FAIL wasm size: gzip ${gz} bytes is ${pct}% over the recorded ${budget.wasm_gzip_bytes} (limit ${limit})`);
  process.exit(1);
}
console.log(`ok   wasm size: gzip ${gz} bytes, ${pct}% against the recorded ${budget.wasm_gzip_bytes} (limit ${limit})`);
