// Static servers for the bench: the bench page (with the models and ../shared photos beside it) and the built
// app, both cross-origin isolated (COOP/COEP) so tfjs-backend-wasm may use threads.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
};

/** URL prefix -> folder; the longest matching prefix wins. `fallback` serves SPA routes. */
export interface Mounts {
  [prefix: string]: string;
}

function resolveFile(mounts: Mounts, urlPath: string): string | null {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (!urlPath.startsWith(prefix)) continue;
    const root = path.resolve(mounts[prefix]);
    const file = path.resolve(root, '.' + path.posix.normalize('/' + urlPath.slice(prefix.length)));
    if (file !== root && !file.startsWith(root + path.sep)) return null;
    return file;
  }
  return null;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

export async function serveStatic(mounts: Mounts, options: { spaIndex?: string } = {}): Promise<StaticServer> {
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = resolveFile(mounts, urlPath.endsWith('/') ? urlPath + 'index.html' : urlPath);
    if (file && !fs.existsSync(file) && options.spaIndex && !path.extname(file)) file = options.spaIndex;
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { ...ISOLATION, 'Content-Type': 'text/plain' });
      res.end(`not found: ${urlPath}`);
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, {
      ...ISOLATION,
      'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
