// A static file server for dist/ on 127.0.0.1, with the MIME types browsers need to compile wasm
// while it downloads. Usage: node scripts/serve.mjs DIR PORT (PORT 0 picks a free port and prints it).
//
// Precompressed files: a request for `X` is answered with `X.br` (Content-Encoding: br) or `X.gz`
// (Content-Encoding: gzip) when the browser accepts that encoding and the file exists next to `X`
// (scripts/compress.mjs writes them at build time), with X's own Content-Type and
// `Vary: Accept-Encoding`. What a static host needs for the same is in docs/web.md.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

/**
 * How long a browser may keep a file. Trunk names every built file by a hash of its content
 * (`beat-paxos-912896e3fba0f0ff_bg.wasm`), so those can be kept for a year and never asked for
 * again: a second visit takes the .wasm, and the code compiled from it, from the browser's cache.
 * Everything else (index.html, which names the hashed files) is checked with the server each time
 * (`no-cache` with an ETag: a 304 when unchanged), so a new build is seen at once.
 */
export function cacheControl(file) {
  return /(^|[-_.])[0-9a-f]{15,}[-_.]/.test(file.split("/").pop()) ? "public, max-age=31536000, immutable" : "no-cache";
}

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".css": "text/css", ".json": "application/json", ".png": "image/png",
};

/** The encodings we have files for, best first, as (token, file suffix). */
const ENCODINGS = [["br", ".br"], ["gzip", ".gz"]];

/** Which encodings an Accept-Encoding header allows (q=0 refuses one). */
function accepted(header = "") {
  const ok = new Set();
  for (const part of header.split(",")) {
    const [token, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (token && !(q && Number(q.slice(2)) === 0)) ok.add(token);
  }
  return ok;
}

async function isFile(path) {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export function serve(dir, port = 0, { log = null } = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(dir, path);
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const headers = { "content-type": TYPES[extname(file)] || "application/octet-stream" };
      let body = null;
      const ok = accepted(req.headers["accept-encoding"]);
      let compressible = false;
      for (const [token, suffix] of ENCODINGS) {
        if (!(await isFile(file + suffix))) continue;
        compressible = true;
        if (ok.has(token) && body === null) {
          body = await readFile(file + suffix);
          headers["content-encoding"] = token;
        }
      }
      if (compressible) headers.vary = "Accept-Encoding";
      if (body === null) body = await readFile(file);
      headers["cache-control"] = cacheControl(file);
      const { size, mtimeMs } = await stat(file);
      headers.etag = `"${size.toString(16)}-${Math.round(mtimeMs).toString(16)}${headers["content-encoding"] ? "-" + headers["content-encoding"] : ""}"`;
      if (req.headers["if-none-match"] === headers.etag) {
        const kept = { "cache-control": headers["cache-control"], etag: headers.etag };
        if (headers.vary) kept.vary = headers.vary;
        res.writeHead(304, kept);
        res.end();
        return;
      }
      headers["content-length"] = body.length;
      if (log) log(req.url, headers);
      res.writeHead(200, headers);
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await serve(process.argv[2] || "dist", Number(process.argv[3] || 8080));
  console.log(`http://127.0.0.1:${server.address().port}/`);
}
