#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --json FILE]`: builds the app and the bench page, serves both cross-origin
// isolated, drives headless Debian Chromium and prints medians/minima of: model load and warm-up, MTCNN per
// photo (ours vs face-api.js 0.22.2 with the same weights, same backend, same page), parity with the
// reference, embedders vs a plain conv probe, and the real app end to end (photos -> matches, slider, long
// tasks, JS before first paint), and the app's Library indexing all FDDB photos against face-api.js's full recognition
// pipeline. Figures are noisy on a shared 2-core machine: the load average is printed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_FLAGS, WEBGPU_SWIFTSHADER_FLAGS } from '../chromium-flags';
import { readOptions } from '../cli';
import type { BenchBackend, ConvProbe, DetectReport, EmbedReport, ImageReport, InitReport, MemoryReport, MtcnnProfile } from '../../bench/protocol';
import { benchApp, profileApp, type AppProfile, type AppReport } from './app-bench';
import { benchLibrary, fddbPhotos, type LibraryReport } from './library-bench';
import { BenchPage, type WorkerKind } from './page';
import { serveStatic } from './serve';
import { median, min, parity, spread, sum, type Parity, type ParityImage, type Spread, type XYWH } from './stats';
import { printReport } from './report';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedDir = path.resolve(root, process.env.SHARED_DIR ?? '../shared');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const USAGE = `npm run bench [-- --quick] [--json FILE] [--no-build] [--skip-app | --only-app] [--skip-peer] [--webgl-embed] [--webgpu-embed] [--real-gpu] [--backends LIST]
                  [--threads-ab N] [--subset N] [--reps N] [--peer-reps N] [--no-full-parity] [--profile | --no-profile]
                  [--library-only | --skip-library] [--library-photos N] [--app-rev REV]`;
const args = readOptions(USAGE, {
  quick: { type: 'boolean' },
  json: { type: 'string' },
  'no-build': { type: 'boolean' },
  'skip-app': { type: 'boolean' },
  'skip-peer': { type: 'boolean' },
  'webgl-embed': { type: 'boolean' },
  'webgpu-embed': { type: 'boolean' },
  'real-gpu': { type: 'boolean' },
  backends: { type: 'string' },
  'threads-ab': { type: 'string' },
  'only-app': { type: 'boolean' },
  subset: { type: 'string' },
  reps: { type: 'string' },
  'peer-reps': { type: 'string' },
  'no-full-parity': { type: 'boolean' },
  profile: { type: 'boolean' },
  'no-profile': { type: 'boolean' },
  'library-only': { type: 'boolean' },
  'skip-library': { type: 'boolean' },
  'library-photos': { type: 'string' },
  'app-rev': { type: 'string' },
});
const quick = args.quick === true;
const libraryOnly = args['library-only'] === true;
const options = {
  quick,
  json: args.json,
  build: !args['no-build'],
  app: !args['skip-app'] && !libraryOnly,
  peer: !args['skip-peer'],
  /** embedders on SwiftShader WebGL too (slow: every shader compiles on the CPU) */
  webglEmbed: args['webgl-embed'] === true,
  /** embedders on WebGPU too (slow on SwiftShader: ~13 s per small photo under load) */
  webgpuEmbed: args['webgpu-embed'] === true,
  /**
   * on a machine with a GPU: the bench page's browser runs on it (no SwiftShader flags), so the webgl and webgpu
   * rows are real GPU figures. Without it they are SwiftShader's, and labelled so.
   */
  realGpu: args['real-gpu'] === true,
  /** only these bench-page backends (comma-separated, e.g. wasm,webgpu); all of the plan by default */
  backends: args.backends?.split(',').map((b) => b.trim()),
  /** alternate WASM with and without threads, same photo and model, to see whether threads pay here */
  threadsAB: Number(args['threads-ab'] ?? (quick ? 0 : 2)),
  /** only the real-app part (no bench page) */
  onlyApp: args['only-app'] === true,
  /** the Library part: the app indexing FDDB photos, and face-api.js's full pipeline on them */
  library: libraryOnly || (!args['skip-library'] && !args['only-app']),
  /** only the Library part */
  libraryOnly,
  /** how many FDDB photos the Library part adds (every k-th by path when fewer than all 668) */
  libraryPhotos: args['library-photos'] ? Number(args['library-photos']) : quick ? 40 : undefined,
  /** build the app from this commit (git archive into a temporary folder) instead of the working tree */
  appRev: args['app-rev'],
  /** head-to-head photos (face-api.js is slow on this machine, so a fixed subset) */
  subset: Number(args.subset ?? (quick ? 3 : 8)),
  reps: Number(args.reps ?? (quick ? 2 : 3)),
  peerReps: Number(args['peer-reps'] ?? 2),
  /** every reference photo once on WASM for parity (and per-photo time) */
  fullParity: !quick && !args['no-full-parity'],
  /** main-thread CPU profile of the app (an unminified build), after the timed runs */
  profile: !libraryOnly && (args.profile === true || (!quick && !args['no-profile'])),
};

const started = Date.now();
const log = (s: string) => process.stderr.write(`· [${((Date.now() - started) / 1000).toFixed(0)} s] ${s}\n`);
const loadavg = () => os.loadavg().map((v) => Number(v.toFixed(2)));

interface RefImage {
  image: string;
  width: number;
  height: number;
  rgb_sha256: string;
  faces: { box: XYWH }[];
  alt_faces_float64?: { box: XYWH }[];
}

const reference = JSON.parse(fs.readFileSync(path.join(sharedDir, 'fixtures/mtcnn-reference/reference.json'), 'utf8')) as { images: RefImage[] };
const byPath = [...reference.images].sort((a, b) => (a.image < b.image ? -1 : 1));

/** Every k-th reference photo of at most 0.5 MP, by path: a fixed subset face-api.js can finish here. */
function headToHeadSubset(n: number): RefImage[] {
  const small = byPath.filter((r) => r.width * r.height <= 500_000);
  const step = small.length / n;
  return Array.from({ length: n }, (_, i) => small[Math.floor(i * step + step / 2)]);
}

const WARMUP = 'datasets/faceapi-js-images/examples/images/bbt2.jpg';
const BBT1 = 'datasets/faceapi-js-images/examples/images/bbt1.jpg';
const BBT4 = 'datasets/faceapi-js-images/examples/images/bbt4.jpg';
const GROUPS: [string, string] = ['datasets/group-photos/human-samples/group-1.jpg', 'datasets/group-photos/human-samples/solvay1927.jpg'];

export interface PhotoTiming {
  image: string;
  megapixels: number;
  ours: Spread;
  peer?: Spread;
  oursFaces: number;
  peerFaces?: number;
}

export interface BackendSection {
  backend: BenchBackend;
  ours: { init: InitReport; loadMs: Spread; warmupMs: number };
  peer?: { init: InitReport; loadMs: Spread; warmupMs: number } | { error: string };
  photos: PhotoTiming[];
  /** sum over photos of the median time */
  oursTotalMs: number;
  peerTotalMs?: number;
  oursMsPerMp: number;
  peerMsPerMp?: number;
  /** median over photos of ours / face-api */
  ratioMedian?: number;
  /** total ours / total face-api */
  ratioTotal?: number;
  peerParity?: Parity;
  /** face-api.js boxes are squares from its own resampling: also matched at IoU >= 0.5 */
  peerParity50?: Parity;
  peerBackend?: string;
  embedders?: EmbedReport[];
  convProbe?: ConvProbe[];
  profile?: { image: string; profile: MtcnnProfile }[];
  memory?: MemoryReport;
}

export interface BenchReport {
  generated: string;
  command: string;
  quick: boolean;
  machine: { cpus: number; loadBefore: number[]; loadAfter?: number[]; chromium: string; crossOriginIsolated: boolean; hardwareConcurrency: number };
  subset: string[];
  backends: BackendSection[];
  parity?: Parity & { backend: string; decodeMatches: number; decodeChecked: number; msPerImage: Spread; msPerMp: number; totalMs: number };
  app?: AppReport;
  appProfile?: AppProfile;
  library?: LibraryReport;
  /** what the app under test was built from */
  appBuild?: { from: string; commit: string; dirtyTree: boolean };
  threadsAB?: ThreadsAB;
  mtcnn_ratio: number | null;
  mtcnn_ratio_backend: string | null;
  mtcnn_ratio_by_backend: Record<string, number | null>;
  end_to_end_ms: number | null;
  goals: Record<string, { target: string; value: string; met: boolean | null }>;
  /** backends that could not run in this browser, and why */
  skipped?: { backend: BenchBackend; reason: string }[];
  elapsedS: number;
}

function build(): void {
  const run = (cmd: string, argv: string[]) => {
    log(`${cmd} ${argv.join(' ')}`);
    execFileSync(cmd, argv, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  };
  run('node', ['scripts/weights/build-weights.mjs']);
  if (!options.libraryOnly) {
    run('node', ['scripts/weights/faceapi-mtcnn.mjs']);
    run('node', ['scripts/bench/vendor-peer.mjs']);
  }
  if (options.library) copyFaceapiFullModels();
  // the app goes to its own folder, so a bench never swaps dist/ under someone's e2e run
  if (options.appRev) {
    // a commit's tree beside the repo, with this checkout's node_modules and built weights (both ignored by git)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facematch-app-'));
    log(`app from ${options.appRev} in ${dir}`);
    execFileSync('sh', ['-c', `git archive "$0" | tar -x -C "$1"`, options.appRev, dir], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    fs.cpSync(path.join(root, 'public/models'), path.join(dir, 'public/models'), { recursive: true });
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', path.join(root, '.bench/app'), '--emptyOutDir'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    fs.rmSync(dir, { recursive: true, force: true });
  } else run('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', '.bench/app', '--emptyOutDir']);
  run('npx', ['vite', 'build', '--config', 'bench/vite.config.ts']);
  if (options.profile && options.app) run('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', '.bench/app-profile', '--emptyOutDir', '--minify', 'false']);
}

/** The nets face-api.js's full pipeline needs, from @vladmandic/face-api's own model/ folder (npm), never a hub. */
const FACEAPI_FULL_MODELS = ['ssd_mobilenetv1_model', 'face_landmark_68_model', 'face_recognition_model'];
function copyFaceapiFullModels(): void {
  const from = path.join(root, 'node_modules/@vladmandic/face-api/model');
  const to = path.join(root, '.bench/models/vladmandic');
  fs.mkdirSync(to, { recursive: true });
  for (const net of FACEAPI_FULL_MODELS) {
    for (const file of [`${net}-weights_manifest.json`, `${net}.bin`]) fs.copyFileSync(path.join(from, file), path.join(to, file));
  }
  log(`face-api.js full pipeline nets -> ${path.relative(root, to)}`);
}

function appBuild(): NonNullable<BenchReport['appBuild']> {
  const git = (...argv: string[]) => execFileSync('git', argv, { cwd: root, encoding: 'utf8' }).trim();
  const rev = options.appRev ?? 'HEAD';
  return {
    from: options.appRev ? `commit ${options.appRev}` : 'working tree',
    commit: git('rev-parse', rev),
    dirtyTree: !options.appRev && git('status', '--porcelain', '--', 'src', 'public', 'index.html', 'vite.config.ts', 'package.json').length > 0,
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  log(`load average before: ${loadBefore.join(' ')}`);
  if (options.build) build();
  const needed = [
    '.bench/dist/index.html',
    'public/models/index.json',
    ...(options.app || options.library ? ['.bench/app/index.html'] : []),
    ...(options.peer && !options.libraryOnly ? ['.bench/models/faceapi/mtcnn_model-shard1'] : []),
    ...(options.library ? ['.bench/models/vladmandic/face_recognition_model.bin'] : []),
  ];
  for (const required of needed) {
    if (!fs.existsSync(path.join(root, required))) throw new Error(`${required} is missing (run without --no-build)`);
  }

  const benchServer = await serveStatic({
    '/': path.join(root, '.bench/dist'),
    '/models/': path.join(root, 'public/models'),
    '/faceapi-models/': path.join(root, '.bench/models/faceapi'),
    '/vladmandic-models/': path.join(root, '.bench/models/vladmandic'),
    '/shared/': sharedDir,
    '/vendor/': path.join(root, '.bench/vendor'),
  });
  const appServer = await serveStatic({ '/': path.join(root, '.bench/app') }, { spaIndex: path.join(root, '.bench/app/index.html') });
  const profiling = options.profile && options.app && fs.existsSync(path.join(root, '.bench/app-profile/index.html'));
  const profileServer = profiling ? await serveStatic({ '/': path.join(root, '.bench/app-profile') }) : null;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      ...(options.realGpu ? [...CHROMIUM_FLAGS.filter((flag) => !/swiftshader/.test(flag)), '--enable-unsafe-webgpu'] : [...CHROMIUM_FLAGS, ...WEBGPU_SWIFTSHADER_FLAGS]),
      // measureUserAgentSpecificMemory() answers at once instead of at the next GC
      '--enable-blink-features=ForceEagerMeasureMemory',
    ],
  });
  let appBrowser: Browser | null = null;
  const subset = headToHeadSubset(options.subset);
  const report: BenchReport = {
    generated: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    quick,
    machine: { cpus: os.cpus().length, loadBefore, chromium: browser.version(), crossOriginIsolated: false, hardwareConcurrency: 0 },
    subset: subset.map((r) => r.image),
    backends: [],
    mtcnn_ratio: null,
    mtcnn_ratio_backend: null,
    mtcnn_ratio_by_backend: {},
    end_to_end_ms: null,
    goals: {},
    elapsedS: 0,
  };
  if (options.build && (options.app || options.library)) report.appBuild = appBuild();
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(benchServer.url + '/');
    await page.waitForFunction(() => '__bench' in window);
    const bench = new BenchPage(page);
    report.machine.crossOriginIsolated = await page.evaluate(() => window.__bench.crossOriginIsolated());
    report.machine.hardwareConcurrency = await page.evaluate(() => window.__bench.hardwareConcurrency());
    log(`bench page ${benchServer.url} (crossOriginIsolated ${report.machine.crossOriginIsolated}); subset: ${subset.length} photos`);

    // face-api.js's own tfjs (1.7) has cpu and webgl; its WASM is tfjs-backend-wasm 1.7.0 (plain WASM).
    // WebGL here is SwiftShader (software) and compiles shaders per input size: few photos, one untimed run each.
    // the two smallest photos of the subset
    const few = [...subset].sort((a, b) => a.width * a.height - b.width * b.height).slice(0, 2);
    const plan: Step[] = quick
      ? [{ backend: 'wasm', peer: options.peer, photos: subset, embed: true, extra: true, warmEach: false }]
      : [
          { backend: 'wasm', peer: options.peer, photos: subset, embed: true, extra: true, warmEach: false },
          { backend: 'wasm-plain', peer: options.peer, photos: subset, embed: false, extra: false, warmEach: false },
          { backend: 'wasm-1t', peer: false, photos: subset, embed: true, extra: false, warmEach: false },
          { backend: 'webgl', peer: options.peer, photos: few, embed: options.webglEmbed, extra: false, warmEach: true },
          { backend: 'webgpu', peer: false, photos: few, embed: options.webgpuEmbed, extra: false, warmEach: true },
          { backend: 'cpu', peer: options.peer, photos: few, embed: false, extra: false, warmEach: false },
        ];

    for (const step of options.onlyApp || options.libraryOnly ? [] : plan.filter((p) => !options.backends || options.backends.includes(p.backend))) {
      if (step.backend !== 'webgl' && step.backend !== 'webgpu') {
        report.backends.push(await benchBackend(bench, step, report));
        continue;
      }
      // a GPU backend this browser lacks is reported, not fatal
      try {
        report.backends.push(await benchBackend(bench, step, report));
      } catch (error) {
        log(`${step.backend}: could not run (${(error as Error).message.split('\n')[0]})`);
        report.skipped = [...(report.skipped ?? []), { backend: step.backend, reason: (error as Error).message.split('\n')[0] }];
        await bench.stop('ours');
      }
    }
    if (!options.onlyApp && !options.libraryOnly && options.threadsAB > 0) report.threadsAB = await threadsAB(bench, options.threadsAB);
    if (pageErrors.length) log(`bench page errors: ${pageErrors.join(' | ')}`);

    if (options.app || options.library) {
      // The app gets its own browser on Chromium's software compositor (what a machine without a GPU uses): the
      // bench page's SwiftShader GL spends 200-800 ms presenting every frame here, which would swamp the app's
      // own cost. The app's backend is the same WASM either way (Auto never picks software WebGL).
      appBrowser = await chromium.launch({
        executablePath: chromiumPath,
        args: [
          ...CHROMIUM_FLAGS.filter((flag) => !/swiftshader/.test(flag)),
          '--disable-gpu',
          '--enable-blink-features=ForceEagerMeasureMemory',
        ],
      });
    }
    if (appBrowser && options.app) {
      try {
        report.app = await benchApp(
          appBrowser,
          appServer.url,
          path.join(root, '.bench/app'),
          {
            bbt: [path.join(sharedDir, BBT1), path.join(sharedDir, BBT4)],
            groups: [path.join(sharedDir, GROUPS[0]), path.join(sharedDir, GROUPS[1])],
          },
          { warmRuns: quick ? 1 : 3, sliderMoves: quick ? 4 : 12, log },
        );
      } catch (error) {
        log(`app bench failed: ${(error as Error).message}`);
        report.app = undefined;
        report.goals.app = { target: 'app bench ran', value: (error as Error).message.split('\n')[0], met: false };
      }
      if (profileServer) {
        try {
          report.appProfile = await profileApp(appBrowser, profileServer.url, { bbt: [path.join(sharedDir, BBT1), path.join(sharedDir, BBT4)] }, log);
        } catch (error) {
          log(`app profile failed: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    }
    if (appBrowser && options.library) {
      // Same browser as the app part; the bench page for face-api.js's pipeline opens in a context of it too.
      try {
        report.library = await benchLibrary(appBrowser, {
          appUrl: appServer.url,
          benchUrl: benchServer.url,
          photos: fddbPhotos(sharedDir, options.libraryPhotos),
          timeoutMs: 1_800_000,
          faceapi: options.peer,
          log,
        });
      } catch (error) {
        log(`library bench failed: ${(error as Error).message}`);
        report.goals.library = { target: 'library bench ran', value: (error as Error).message.split('\n')[0], met: false };
      }
    }
  } finally {
    await appBrowser?.close();
    await browser.close();
    await benchServer.close();
    await appServer.close();
    await profileServer?.close();
  }

  summarise(report);
  report.machine.loadAfter = loadavg();
  report.elapsedS = (Date.now() - started) / 1000;
  printReport(report);
  if (options.json) {
    fs.writeFileSync(path.resolve(options.json), JSON.stringify(report, null, 2) + '\n');
    log(`wrote ${options.json}`);
  }
}

async function startWorker(bench: BenchPage, name: string, kind: WorkerKind, backend: BenchBackend, loads: number) {
  await bench.start(name, kind);
  const init = await bench.call<InitReport>(name, 'init', backend);
  const loadMs: number[] = [];
  for (let i = 0; i < loads; i++) loadMs.push(await bench.call<number>(name, 'loadMtcnn'));
  await bench.call<ImageReport>(name, 'loadImage', WARMUP);
  const warm = await bench.call<DetectReport>(name, 'detect', WARMUP, 1);
  return { init, loadMs: spread(loadMs), warmupMs: warm.times[0] };
}

interface Step {
  backend: BenchBackend;
  /** also run face-api.js on this backend (for wasm-plain: face-api's only WASM, 1.7) */
  peer: boolean;
  photos: RefImage[];
  embed: boolean;
  /** profile, memory and the parity run */
  extra: boolean;
  /** one untimed run per photo first (WebGL compiles shaders per input size) */
  warmEach: boolean;
}

async function benchBackend(bench: BenchPage, step: Step, report: BenchReport): Promise<BackendSection> {
  const { backend, photos, extra } = step;
  const withPeer = step.peer;
  const withEmbedders = step.embed;
  const peerBackend: BenchBackend = backend.startsWith('wasm') ? 'wasm' : backend;
  const loads = quick ? 1 : 3;
  const ours = await startWorker(bench, 'ours', 'ours', backend, loads);
  log(`${backend}: ours ${ours.init.detail}; MTCNN load ${ours.loadMs.median.toFixed(0)} ms, first detection ${ours.warmupMs.toFixed(0)} ms`);
  const section: BackendSection = { backend, ours, photos: [], oursTotalMs: 0, oursMsPerMp: 0, peerBackend: withPeer ? peerBackend : undefined };
  let peerOk = false;
  if (withPeer) {
    try {
      section.peer = await startWorker(bench, 'peer', 'faceapi', peerBackend, loads);
      peerOk = true;
      log(`${backend}: face-api ${section.peer.init.detail}; load ${section.peer.loadMs.median.toFixed(0)} ms, first detection ${section.peer.warmupMs.toFixed(0)} ms`);
    } catch (error) {
      section.peer = { error: (error as Error).message };
      log(`${backend}: face-api.js could not start: ${(error as Error).message}`);
    }
  }

  // Head-to-head: each photo by ours then face-api, interleaved so load drift hits both alike.
  const peerParity: ParityImage[] = [];
  for (const ref of photos) {
    await bench.call<ImageReport>('ours', 'loadImage', ref.image);
    if (step.warmEach) await bench.call<DetectReport>('ours', 'detect', ref.image, 1);
    const o = await bench.call<DetectReport>('ours', 'detect', ref.image, options.reps);
    const timing: PhotoTiming = { image: ref.image, megapixels: (ref.width * ref.height) / 1e6, ours: spread(o.times), oursFaces: o.faces.length };
    if (peerOk) {
      await bench.call<ImageReport>('peer', 'loadImage', ref.image);
      if (step.warmEach) await bench.call<DetectReport>('peer', 'detect', ref.image, 1);
      const p = await bench.call<DetectReport>('peer', 'detect', ref.image, options.peerReps);
      timing.peer = spread(p.times);
      timing.peerFaces = p.faces.length;
      peerParity.push({ reference: ref.faces.map((f) => f.box), alternative: ref.alt_faces_float64?.map((f) => f.box), found: p.faces.map((f) => f.box) });
    }
    section.photos.push(timing);
    log(
      `${backend}: ${path.basename(ref.image)} (${timing.megapixels.toFixed(2)} MP) ours ${timing.ours.median.toFixed(0)} ms` +
        (timing.peer ? `, face-api ${timing.peer.median.toFixed(0)} ms` : ''),
    );
  }
  const mp = sum(section.photos.map((p) => p.megapixels));
  section.oursTotalMs = sum(section.photos.map((p) => p.ours.median));
  section.oursMsPerMp = section.oursTotalMs / mp;
  if (peerOk) {
    section.peerTotalMs = sum(section.photos.map((p) => p.peer!.median));
    section.peerMsPerMp = section.peerTotalMs / mp;
    section.ratioTotal = section.oursTotalMs / section.peerTotalMs;
    section.ratioMedian = median(section.photos.map((p) => p.ours.median / p.peer!.median));
    section.peerParity = parity(peerParity);
    section.peerParity50 = parity(peerParity, 0.5);
    await bench.stop('peer');
  }

  if (extra) {
    // Where one detection's time goes (kernels vs JS, cascade stages).
    section.profile = [];
    for (const image of [BBT1, subset0(photos)]) {
      await bench.call<ImageReport>('ours', 'loadImage', image);
      await bench.call<DetectReport>('ours', 'detect', image, 1);
      section.profile.push({ image, profile: await bench.call<MtcnnProfile>('ours', 'profileMtcnn', image) });
    }
    section.memory = await bench.call<MemoryReport>('ours', 'pipelineMemory', [BBT1, BBT4]);
    log(`${backend}: pipeline bbt1+bbt4 peak tensor memory ${(section.memory.peakBytes / 1e6).toFixed(1)} MB`);
  }
  if (withEmbedders) {
    // the probe runs before and after the embedders; each case keeps all its samples (the best one counts)
    const before = await bench.call<ConvProbe[]>('ours', 'convProbe', options.reps + 2);
    section.embedders = await bench.call<EmbedReport[]>('ours', 'embedders', options.reps + 2, 8);
    const after = await bench.call<ConvProbe[]>('ours', 'convProbe', options.reps + 2);
    section.convProbe = before.map((c, i) => ({ ...c, ms: [...c.ms, ...after[i].ms] }));
    for (const e of section.embedders) {
      log(`${backend}: ${e.id} ${median(e.singleMs).toFixed(0)} ms/face single, ${median(e.batchedMsPerFace).toFixed(0)} ms/face batched (${e.gflopPerFace.toFixed(2)} GFLOP/face)`);
    }
  }
  if (extra && backend === 'wasm') report.parity = await parityRun(bench, backend);
  await bench.stop('ours');
  return section;
}

const subset0 = (photos: RefImage[]) => photos[0].image;

type AbRound = { convGflops: number; detectMs: number; embedMsPerFace: number };
export interface ThreadsAB {
  image: string;
  /** what the threaded flavour reports (tfjs-backend-wasm's getThreadsCount at start) */
  threadedDetail: string;
  rounds: { wasm: AbRound; 'wasm-1t': AbRound }[];
}

/** WASM as the app starts it (threaded build when isolated) vs the non-threaded SIMD build, alternating A/B. */
async function threadsAB(bench: BenchPage, rounds: number): Promise<ThreadsAB> {
  const out: ThreadsAB = { image: BBT1, threadedDetail: '', rounds: [] };
  for (let i = 0; i < rounds; i++) {
    const round = {} as ThreadsAB['rounds'][number];
    for (const backend of ['wasm', 'wasm-1t'] as const) {
      await bench.start('ab', 'ours');
      const init = await bench.call<InitReport>('ab', 'init', backend);
      if (backend === 'wasm') out.threadedDetail = init.detail;
      await bench.call<number>('ab', 'loadMtcnn');
      round[backend] = await bench.call<AbRound>('ab', 'abRound', BBT1);
      await bench.stop('ab');
    }
    out.rounds.push(round);
    log(
      `threads A/B ${i + 1}/${rounds}: conv ${round.wasm.convGflops.toFixed(1)} vs ${round['wasm-1t'].convGflops.toFixed(1)} GFLOP/s, ` +
        `bbt1 ${round.wasm.detectMs.toFixed(0)} vs ${round['wasm-1t'].detectMs.toFixed(0)} ms, ` +
        `embed ${round.wasm.embedMsPerFace.toFixed(0)} vs ${round['wasm-1t'].embedMsPerFace.toFixed(0)} ms/face (threaded vs not)`,
    );
  }
  return out;
}

/** Every reference photo (or the subset with --quick) once through our detector on this backend. */
async function parityRun(bench: BenchPage, backend: BenchBackend): Promise<NonNullable<BenchReport['parity']>> {
  const images = options.fullParity ? byPath : headToHeadSubset(options.subset);
  const items: ParityImage[] = [];
  const times: number[] = [];
  let decodeMatches = 0;
  let mp = 0;
  for (const [i, ref] of images.entries()) {
    const decoded = await bench.call<ImageReport>('ours', 'loadImage', ref.image, true);
    if (decoded.rgbSha256 === ref.rgb_sha256) decodeMatches++;
    const o = await bench.call<DetectReport>('ours', 'detect', ref.image, 1);
    times.push(o.times[0]);
    mp += (ref.width * ref.height) / 1e6;
    items.push({ reference: ref.faces.map((f) => f.box), alternative: ref.alt_faces_float64?.map((f) => f.box), found: o.faces.map((f) => f.box) });
    if ((i + 1) % 25 === 0) log(`${backend}: parity ${i + 1}/${images.length}, ${(sum(times) / 1000).toFixed(0)} s so far`);
  }
  const p = parity(items);
  log(`${backend}: parity ${p.matched}/${p.referenceFaces} reference faces at IoU >= 0.85, ${p.extra} extra; decode ${decodeMatches}/${images.length} rgb_sha256`);
  return { ...p, backend, decodeMatches, decodeChecked: images.length, msPerImage: spread(times), msPerMp: sum(times) / mp, totalMs: sum(times) };
}

function summarise(report: BenchReport): void {
  for (const s of report.backends) report.mtcnn_ratio_by_backend[s.backend] = s.ratioTotal ?? null;
  // The headline: WASM, ours as the app runs it against face-api.js on tfjs-backend-wasm 1.7 (its only WASM);
  // wasm-plain (no SIMD, no threads on both sides) is the like-for-like figure.
  const common = report.backends.find((s) => s.backend === 'wasm' && s.ratioTotal !== undefined) ?? report.backends.find((s) => s.ratioTotal !== undefined);
  if (common) {
    report.mtcnn_ratio = common.ratioTotal!;
    report.mtcnn_ratio_backend = common.backend;
  }
  // ours on the app's backend (WASM) against face-api.js on its fastest backend here, same photos
  const wasm = report.backends.find((s) => s.backend === 'wasm');
  const peers = report.backends.filter((s) => s.peerTotalMs !== undefined);
  if (wasm && peers.length) {
    const best = peers.reduce((a, b) => (a.peerMsPerMp! <= b.peerMsPerMp! ? a : b));
    const shared = wasm.photos.filter((p) => best.photos.some((q) => q.image === p.image));
    const oursMs = sum(shared.map((p) => p.ours.median));
    const peerMs = sum(shared.map((p) => best.photos.find((q) => q.image === p.image)!.peer!.median));
    report.mtcnn_ratio_by_backend[`wasm_vs_faceapi_${best.backend}`] = oursMs / peerMs;
  }

  const warm = report.app?.runs.filter((r) => r.label === 'bbt1+bbt4 warm') ?? [];
  if (warm.length) report.end_to_end_ms = median(warm.map((r) => r.domMs));

  const goal = (key: string, target: string, value: string, met: boolean | null) => (report.goals[key] = { target, value, met });
  if (!options.libraryOnly) {
    goal(
      'mtcnn_ratio',
      '<= 0.5 (ours / face-api.js)',
      report.mtcnn_ratio === null ? 'not measured' : `${report.mtcnn_ratio.toFixed(2)} on ${report.mtcnn_ratio_backend}`,
      report.mtcnn_ratio === null ? null : report.mtcnn_ratio <= 0.5,
    );
  }
  for (const s of report.backends) {
    if (!s.embedders || !s.convProbe) continue;
    const probe = Math.max(...s.convProbe.map((c) => c.gflop / (min(c.ms) / 1000)));
    for (const e of s.embedders) {
      const achieved = e.gflopPerFace / (min(e.batchedMsPerFace) / 1000);
      goal(
        `embedding_${e.id}_${s.backend}`,
        '>= 60% of measured conv throughput',
        `${achieved.toFixed(1)} of ${probe.toFixed(1)} GFLOP/s (${((100 * achieved) / probe).toFixed(1)}%)`,
        achieved >= 0.6 * probe,
      );
    }
  }
  if (report.app) {
    const a = report.app;
    goal('end_to_end', '<= 1500 ms (bbt1 + bbt4, WASM, warm)', report.end_to_end_ms === null ? 'not measured' : `${report.end_to_end_ms.toFixed(0)} ms on ${a.backend}`, report.end_to_end_ms === null ? null : report.end_to_end_ms <= 1500 && a.backend === 'wasm');
    const slider = median(a.slider.map((s) => s.frameMs));
    goal('slider', '<= 16 ms (input -> updated list, next frame)', a.slider.length ? `${slider.toFixed(1)} ms median, ${Math.max(...a.slider.map((s) => s.frameMs)).toFixed(1)} ms max` : 'no move changed the list', a.slider.length ? slider <= 16 : null);
    const over = a.runs.reduce((n, r) => n + r.longTasks.over50, 0);
    const worst = Math.max(0, ...a.runs.map((r) => r.longTasks.maxMs));
    goal('long_tasks', 'no main-thread task > 50 ms during inference', `${over} tasks > 50 ms (max ${worst.toFixed(0)} ms) in ${a.runs.length} runs`, over === 0);
    goal('js_before_paint', '<= 250 KB gzipped', `${(a.jsBeforePaint.gzipBytes / 1024).toFixed(1)} KB gzipped in ${a.jsBeforePaint.files.length} files`, a.jsBeforePaint.gzipBytes <= 250 * 1024);
  }
  if (report.library) {
    const l = report.library;
    goal('library_photos_per_second', '>= 8 photos/s (WASM)', `${l.photos_per_second.toFixed(2)} photos/s on ${l.backend} (${l.photos} photos)`, l.photos_per_second >= 8 && l.backend === 'wasm');
    goal(
      'library_ratio_vs_faceapi',
      '<= 0.5 (ours / face-api.js full pipeline)',
      l.ratio_vs_faceapi === null ? 'not measured' : l.ratio_vs_faceapi.toFixed(2),
      l.ratio_vs_faceapi === null ? null : l.ratio_vs_faceapi <= 0.5,
    );
    // wall time decides; the CPU time says how much of it the thread itself worked
    const cpu = l.traceTasks?.longestCpuMs;
    goal(
      'library_long_tasks',
      'no main-thread task > 50 ms while indexing',
      `longest ${l.longest_task_ms.toFixed(0)} ms (${l.traceTasks?.over50 ?? l.longTasks.over50} over 50 ms)${cpu == null ? '' : `; by CPU time ${cpu.toFixed(0)} ms`}`,
      l.longest_task_ms <= 50,
    );
    goal(
      'library_heap_flat',
      'heap at the end within 10% of the middle',
      `${l.heap_mb.start.toFixed(1)} / ${l.heap_mb.middle.toFixed(1)} / ${l.heap_mb.end.toFixed(1)} MB (start / middle / end)`,
      l.heaps.middle === null ? null : Math.abs(l.heap_mb.end - l.heap_mb.middle) <= 0.1 * l.heap_mb.middle,
    );
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
