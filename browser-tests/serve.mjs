// A static server for the built site, as a host like Netlify serves it: files under the
// site's base path, index.html for folders, the site's 404.html with status 404, the
// headers of the output's `_headers` file, and (optionally) the rules of its `_redirects`.
import { createServer } from "node:http";
import { readFileSync, existsSync, statSync } from "node:fs";
import { join, normalize, extname } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
  ".pub": "text/plain; charset=utf-8",
  ".sig": "text/plain; charset=utf-8",
};

// `_headers`: a path pattern at the start of a line, then indented `Name: value` lines.
function parseHeaders(text) {
  const rules = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!/^\s/.test(line)) {
      rules.push({ glob: line.trim(), pattern: pattern(line.trim()), headers: [] });
    } else if (rules.length > 0) {
      const at = line.indexOf(":");
      rules[rules.length - 1].headers.push([line.slice(0, at).trim(), line.slice(at + 1).trim()]);
    }
  }
  return rules;
}

// `_redirects`: `from to status[!]`, with `*` in from and `:splat` in to.
function parseRedirects(text) {
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length >= 3)
    .map(([from, to, status]) => ({ pattern: pattern(from), to, status: parseInt(status, 10) }));
}

function pattern(glob) {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "(.*)");
  return new RegExp(`^${escaped}$`);
}

// Starts the server on 127.0.0.1 and an ephemeral port; resolves to { url, close }.
export function serve(root, { redirects }) {
  const headerRules = parseHeaders(readFileSync(join(root, "_headers"), "utf8"));
  const redirectRules = redirects ? parseRedirects(readFileSync(join(root, "_redirects"), "utf8")) : [];
  // The base path is the first `_headers` pattern without its `*`, e.g. /keys/.
  const base = headerRules[0].glob.replace(/\*$/, "");
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    for (const rule of redirectRules) {
      const m = rule.pattern.exec(path);
      if (m) {
        res.writeHead(rule.status, { Location: rule.to.replace(":splat", m[1] ?? "") });
        res.end();
        return;
      }
    }
    const headers = {};
    for (const rule of headerRules) {
      if (rule.pattern.test(path)) for (const [k, v] of rule.headers) headers[k] = v;
    }
    let file = null;
    if (path.startsWith(base)) {
      const rel = normalize(path.slice(base.length));
      if (!rel.startsWith("..")) {
        file = join(root, rel);
        if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
        if (!existsSync(file)) file = null;
      }
    }
    const status = file ? 200 : 404;
    file = file ?? join(root, "404.html");
    headers["Content-Type"] = TYPES[extname(file)] ?? "application/octet-stream";
    res.writeHead(status, headers);
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}${base}`, close: () => server.close() });
    });
  });
}
