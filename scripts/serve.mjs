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
