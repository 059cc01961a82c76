// Writes precompressed copies next to the web build's files: X.br (brotli, quality 11, 16 MiB
// window) and X.gz (gzip level 9) for every .wasm, .js, .css and .html, so a server can send
// them as they are (scripts/serve.mjs does; docs/web.md says what other hosts need).
// Run by trunk after each build (the post_build hook in Trunk.toml, on TRUNK_STAGING_DIR), or by
// hand: node scripts/compress.mjs DIR
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dir = process.argv[2] || process.env.TRUNK_STAGING_DIR || "dist";
const KINDS = new Set([".wasm", ".js", ".mjs", ".css", ".html"]);

export function brotli(data) {
  return brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
}

export function gzip(data) {
  return gzipSync(data, { level: 9, memLevel: 9 });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (!KINDS.has(extname(name)) || !statSync(file).isFile()) continue;
    const data = readFileSync(file);
    const br = brotli(data);
    const gz = gzip(data);
    writeFileSync(`${file}.br`, br);
    writeFileSync(`${file}.gz`, gz);
    if (extname(name) === ".wasm") {
      const mb = (n) => (n / 1e6).toFixed(2);
      console.log(`compress: ${name} ${mb(data.length)} MB, gzip ${mb(gz.length)} MB, brotli ${mb(br.length)} MB`);
    }
  }
}
