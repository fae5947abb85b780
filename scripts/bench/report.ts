// Prints the bench report as plain-text tables (stdout); the JSON holds the same figures and more.
import path from 'node:path';
import type { BenchReport } from './run-bench';
import { median, min } from './stats';

const ms = (v: number | undefined | null, digits = 0) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(digits));
const mb = (bytes: number | undefined | null) => (bytes === undefined || bytes === null ? '-' : `${(bytes / 1e6).toFixed(1)} MB`);

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** A backend as the tables name it: SwiftShader (CPU-emulated GPU) figures say so, never to be read as a GPU's. */
export function backendLabel(s: BenchReport['backends'][number]): string {
  return /swiftshader/i.test(s.ours.init.detail) ? `${s.backend} (SwiftShader)` : s.backend;
}

export function printReport(r: BenchReport): void {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `facematch bench (${r.quick ? 'quick' : 'full'}): ${r.command}`,
    `Chromium ${m.chromium}, ${m.cpus} CPUs (navigator.hardwareConcurrency ${m.hardwareConcurrency}), crossOriginIsolated ${m.crossOriginIsolated}`,
    `load average before ${m.loadBefore.join(' ')}, after ${m.loadAfter?.join(' ') ?? '-'}; elapsed ${r.elapsedS.toFixed(0)} s`,
    `app under test built from ${r.appBuild ? `${r.appBuild.from} at ${r.appBuild.commit.slice(0, 10)}${r.appBuild.dirtyTree ? ' (with uncommitted changes)' : ''}` : 'an earlier build (--no-build)'}`,
    '',
  );

  if (r.backends.length) {
    out.push('Model load and warm-up, ms (load: median/min of repeated loads; first detection: the first photo after load)');
    out.push(
      table(
        ['backend', 'ours backend', 'init', 'MTCNN load', 'first det.', 'face-api backend', 'init', 'load', 'first det.'],
        r.backends.map((s) => {
          const p = s.peer && 'init' in s.peer ? s.peer : undefined;
          return [
            backendLabel(s),
            s.ours.init.detail.slice(0, 40),
            ms(s.ours.init.initMs),
            `${ms(s.ours.loadMs.median)}/${ms(s.ours.loadMs.min)}`,
            ms(s.ours.warmupMs),
            p ? p.init.detail : s.peer && 'error' in s.peer ? `error: ${s.peer.error.slice(0, 30)}` : '-',
            ms(p?.init.initMs),
            p ? `${ms(p.loadMs.median)}/${ms(p.loadMs.min)}` : '-',
            ms(p?.warmupMs),
          ];
        }),
      ),
      '',
    );

    out.push(
      `MTCNN per photo, ms: ${r.subset.length} reference photos <= 0.5 MP (every k-th by path; CPU: the first half). Per photo the median (and min) over repeated runs;`,
      '"per photo" = median over photos, "per MP" = summed medians / summed megapixels, ratio = ours / face-api.js (total, and median of per-photo ratios)',
    );
    out.push(
      table(
        ['backend', 'photos', 'ours/photo', 'ours min', 'ours/MP', 'face-api on', 'face-api/photo', 'face-api min', 'face-api/MP', 'ratio tot', 'ratio med', 'faces o/f', 'f-a IoU.85/.5'],
        r.backends.map((s) => {
          const peer = s.photos.every((p) => p.peer);
          return [
            backendLabel(s),
            s.photos.length,
            ms(median(s.photos.map((p) => p.ours.median))),
            ms(median(s.photos.map((p) => p.ours.min))),
            ms(s.oursMsPerMp),
            peer ? (s.peerBackend ?? '-') : '-',
            peer ? ms(median(s.photos.map((p) => p.peer!.median))) : '-',
            peer ? ms(median(s.photos.map((p) => p.peer!.min))) : '-',
            ms(s.peerMsPerMp),
            ms(s.ratioTotal, 2),
            ms(s.ratioMedian, 2),
            `${s.photos.reduce((n, p) => n + p.oursFaces, 0)}/${peer ? s.photos.reduce((n, p) => n + (p.peerFaces ?? 0), 0) : '-'}`,
            s.peerParity ? `${s.peerParity.matched}/${s.peerParity50?.matched ?? '-'} of ${s.peerParity.referenceFaces}` : '-',
          ];
        }),
      ),
      '',
    );
  }
  const wasm = r.backends.find((s) => s.backend === 'wasm');
  if (wasm) {
    out.push('Per photo, median ms (ours on each backend; face-api.js where it ran beside it; WebGL: after one untimed run per photo):');
    const peers = r.backends.filter((s) => s.peerTotalMs !== undefined);
    out.push(
      table(
        ['photo', 'MP', ...r.backends.map((s) => `ours ${backendLabel(s)}`), ...peers.map((s) => `f-a ${s.peerBackend}${s.backend === s.peerBackend ? '' : ` (${s.backend} run)`}`)],
        wasm.photos.map((p) => {
          return [
            path.basename(p.image),
            p.megapixels.toFixed(2),
            ...r.backends.map((s) => ms(s.photos.find((q) => q.image === p.image)?.ours.median)),
            ...peers.map((s) => {
              const q = s.photos.find((x) => x.image === p.image);
              return ms(q?.peer?.median);
            }),
          ];
        }),
      ),
      '',
    );
  }
  const gpu = r.backends.filter((s) => s.backend === 'webgl' || s.backend === 'webgpu');
  if (gpu.length || r.skipped?.length) {
    out.push(
      `GPU backends: ${gpu.map((s) => `${backendLabel(s)} on ${s.ours.init.detail}`).join('; ') || 'none ran'}` +
        (gpu.some((s) => /swiftshader/i.test(s.ours.init.detail)) ? ' (SwiftShader = Chromium emulating a GPU on the CPU: correctness only, never a GPU speed)' : ''),
      ...(r.skipped ?? []).map((k) => `  ${k.backend} could not run: ${k.reason}`),
      '',
    );
  }
  if (r.backends.length) {
    out.push(
      `mtcnn_ratio (ours / face-api.js, ${r.mtcnn_ratio_backend ?? '-'}): ${ms(r.mtcnn_ratio, 2)}; by backend: ${Object.entries(r.mtcnn_ratio_by_backend)
        .map(([k, v]) => `${k} ${ms(v, 2)}`)
        .join(', ')}`,
      '',
    );
  }

  if (r.parity) {
    const p = r.parity;
    out.push(
      `Parity, ours in the browser (${p.backend}) vs ../shared/fixtures/mtcnn-reference on ${p.images} photos: ${p.matched}/${p.referenceFaces} reference faces matched at IoU >= 0.85 ` +
        `(${(100 * p.matchedFraction).toFixed(1)}%), ${p.extra} extra detections, ${p.exactImages}/${p.images} photos exact; ` +
        `browser decode = reference rgb_sha256 on ${p.decodeMatches}/${p.decodeChecked}`,
      `  time on those photos (1 run each): ${ms(p.msPerImage.median)} ms median per photo, ${ms(p.msPerMp)} ms per MP, ${(p.totalMs / 1000).toFixed(1)} s in all`,
      '',
    );
  }

  for (const s of r.backends) {
    for (const { image, profile } of s.profile ?? []) {
      const st = profile.stages ?? {};
      out.push(
        `Profile (${s.backend}) ${path.basename(image)}: ${ms(profile.wallMs)} ms wall under tf.profile, backend kernels ${ms(profile.kernelMs)} ms ` +
          `(${((100 * profile.kernelMs) / profile.wallMs).toFixed(0)}%), the rest is JS; stages: pyramid resize (JS) ${ms(st.pyramidResizeJs)}, ` +
          `stage 1 ${ms(st.stage1)} (${st.stage1Boxes} boxes), stage 2 ${ms(st.stage2)} (${st.stage2Boxes} boxes), stage 3 ${ms(st.stage3)} ms`,
        `  top kernels: ${profile.kernels.slice(0, 5).map((k) => `${k.name} ${ms(k.ms)} ms/${k.calls}`).join(', ')}`,
      );
    }
  }
  out.push('');

  const embedRows = r.backends.flatMap((s) => {
    if (!s.embedders || !s.convProbe) return [];
    const probe = Math.max(...s.convProbe.map((c) => c.gflop / (min(c.ms) / 1000)));
    return s.embedders.map((e) => {
      const best = min(e.batchedMsPerFace);
      const gflops = e.gflopPerFace / (best / 1000);
      return [
        backendLabel(s),
        e.id,
        ms(e.loadMs),
        ms(e.warmMs),
        `${ms(median(e.singleMs))}/${ms(min(e.singleMs))}`,
        `${ms(median(e.batchedMsPerFace))}/${ms(best)}`,
        (1000 / best).toFixed(1),
        e.gflopPerFace.toFixed(2),
        gflops.toFixed(1),
        probe.toFixed(1),
        `${((100 * gflops) / probe).toFixed(1)}%`,
      ];
    });
  });
  if (embedRows.length) {
    out.push('Embedders (random 0..255 faces; single = 1 face per call, batched = 8 per call, ms per face median/min; GFLOP/s from the best batched run)');
    out.push(table(['backend', 'embedder', 'load', 'warm-up', 'single', 'batched', 'faces/s', 'GFLOP/face', 'GFLOP/s', 'conv probe', 'of probe'], embedRows));
    for (const s of r.backends) {
      if (!s.convProbe) continue;
      out.push(`  conv probe ${backendLabel(s)}: ${s.convProbe.map((c) => `${c.label} ${(c.gflop / (min(c.ms) / 1000)).toFixed(1)} GFLOP/s`).join('; ')}`);
    }
    for (const s of r.backends) {
      for (const e of s.embedders ?? []) out.push(`  ${backendLabel(s)} ${e.id} top kernels: ${e.kernels.map((k) => `${k.name} ${ms(k.ms)} ms/${k.calls}`).join(', ')}`);
    }
    out.push('');
  }
  if (r.threadsAB) {
    const t = r.threadsAB;
    const col = (k: 'wasm' | 'wasm-1t', f: 'convGflops' | 'detectMs' | 'embedMsPerFace') => median(t.rounds.map((x) => x[k][f]));
    out.push(
      `WASM threads A/B (${t.rounds.length} alternating rounds, medians; threaded build reports "${t.threadedDetail}"): ` +
        `conv ${col('wasm', 'convGflops').toFixed(1)} vs ${col('wasm-1t', 'convGflops').toFixed(1)} GFLOP/s, ` +
        `MTCNN ${path.basename(t.image)} ${ms(col('wasm', 'detectMs'))} vs ${ms(col('wasm-1t', 'detectMs'))} ms, ` +
        `vggface2-mobilenet ${ms(col('wasm', 'embedMsPerFace'))} vs ${ms(col('wasm-1t', 'embedMsPerFace'))} ms/face (threaded build vs SIMD without threads)`,
      '',
    );
  }
  for (const s of r.backends) {
    if (!s.memory) continue;
    out.push(
      `Memory (${s.backend}, app pipeline on ${s.memory.photos.map((p) => `${path.basename(p.path)} ${p.faces} faces: detect ${ms(p.detectMs)} + embed ${ms(p.embedMs)} ms`).join(', ')}): ` +
        `peak tfjs tensors ${mb(s.memory.peakBytes)}, WASM heap ${mb(s.memory.wasmHeapBytes)}, tensors left ${s.memory.newTensors}`,
      `  kernels ${ms(s.memory.kernelMs)} ms of that run: ${s.memory.kernels.map((k) => `${k.name} ${ms(k.ms)}/${k.calls}`).join(', ')}`,
      `  embed half, part by part (second pass): ${Object.entries(s.memory.embedSplit).map(([k, v]) => `${k} ${ms(v)} ms`).join(', ')}`,
    );
  }
  out.push('');

  if (r.app) {
    const a = r.app;
    out.push(
      `App (${a.url}; its own browser, software compositor): backend ${a.backend} (${a.backendDetail?.trim()}), models ready at ${ms(a.modelsReadyMs)} ms after navigation; ` +
        `first paint ${ms(a.firstPaintMs)} ms, FCP ${ms(a.firstContentfulPaintMs)} ms`,
      `  JS before first contentful paint: ${(a.jsBeforePaint.gzipBytes / 1024).toFixed(1)} KB gzipped (${(a.jsBeforePaint.bytes / 1024).toFixed(1)} KB raw) in ${a.jsBeforePaint.files
        .map((f) => path.basename(f.url))
        .join(', ')}; all main-thread JS ${(a.jsMainThreadTotalGzip / 1024).toFixed(1)} KB gzipped; ` +
        `worker scripts (off the main thread) ${a.workerJs.map((f) => `${path.basename(f.url)} ${(f.gzipBytes / 1024).toFixed(1)} KB gz`).join(', ') || '-'}`,
    );
    out.push(
      table(
        ['run', 'to matches', 'next frame', 'faces', 'matches', 'long tasks >50', 'max task', 'worker split A | B'],
        a.runs.map((x) => [x.label, ms(x.domMs), ms(x.frameMs), x.faces.join('+'), x.matches, x.longTasks.over50, ms(x.longTasks.maxMs), `${x.split.A ?? '-'} | ${x.split.B ?? '-'}`]),
      ),
    );
    if (a.slider.length) {
      out.push(
        `  slider with the group photos loaded (${a.slider.length} moves that changed the list): input -> DOM ${ms(median(a.slider.map((s) => s.domMs)), 1)} ms median (max ${ms(Math.max(...a.slider.map((s) => s.domMs)), 1)}), ` +
          `-> next frame ${ms(median(a.slider.map((s) => s.frameMs)), 1)} ms median (max ${ms(Math.max(...a.slider.map((s) => s.frameMs)), 1)})`,
      );
    }
    out.push(`  page + workers memory (measureUserAgentSpecificMemory): ${mb(a.uaMemoryBytes)}`);
    if (a.errors.length) out.push(`  page errors: ${a.errors.join(' | ')}`);
    out.push('');
  }

  if (r.appProfile) {
    const p = r.appProfile;
    const fmt = (list: { fn: string; where: string; selfMs: number }[]) => list.map((e) => `${e.fn} (${e.where}) ${e.selfMs.toFixed(0)}`).join('; ');
    out.push(
      `Main-thread CPU profile (unminified build, not part of the timings above), self time in ms:`,
      `  one warm bbt1+bbt4 run (${ms(p.run.e2e.domMs)} ms to matches): ${ms(p.run.busyMs)} ms busy; ${fmt(p.run.top)}`,
      `  ${p.slider.moves.length} slider moves: ${ms(p.slider.busyMs)} ms busy; ${fmt(p.slider.top)}`,
      '',
    );
  }
  if (r.library) {
    const l = r.library;
    const heap = (h: typeof l.heaps.start | null) =>
      h ? `${h.totalMb.toFixed(1)} (page JS ${mb(h.pageJs)}, worker JS ${mb(h.workerJs)}, WASM ${mb(h.wasm)}; at ${h.done} photos)` : '-';
    out.push(
      `Library (the app's /library in the app's browser, ${l.files} FDDB files added at once to "Add photos to the library", ${l.uniqueFiles} distinct; ${l.backendDetail ?? l.backend}):`,
      `  ${l.photos} photos${l.skipped ? ` (${l.skipped} skipped)` : ''}, ${l.faces} faces in ${(l.wallMs / 1000).toFixed(1)} s (files added -> last photo counted, progress bar gone): ` +
        `${l.photos_per_second.toFixed(2)} photos/s, ${l.faces_per_second.toFixed(1)} faces/s; the app's own rate (from its first photo) ${l.appRatePerSecond ?? '-'} photos/s`,
      `  first face shown ${ms(l.firstFaceMs)} ms after the files were added; main thread: longest task ${ms(l.longest_task_ms, 1)} ms` +
        (l.traceTasks
          ? ` (trace: ${l.traceTasks.count} tasks, ${l.traceTasks.over16} > 16 ms, ${l.traceTasks.over50} > 50 ms; ` +
            `by the thread's CPU time longest ${ms(l.traceTasks.longestCpuMs, 1)} ms, ${l.traceTasks.over50Cpu ?? '-'} > 50 ms)`
          : '') +
        `; long-task API: ${l.longTasks.over50} > 50 ms`,
      ...(l.traceTasks?.top.length
        ? [`  longest tasks, wall ms (thread CPU ms): ${l.traceTasks.top.map((t) => `${t.ms.toFixed(0)} (${t.cpuMs === null ? '-' : t.cpuMs.toFixed(0)}) at ${t.startMs === undefined ? '-' : (t.startMs / 1000).toFixed(1)} s ${t.at}`).join('; ')}`]
        : []),
      `  heap MB, page JS + worker JS (V8 used) + tfjs WASM memory: start ${heap(l.heaps.start)}`,
      `    middle ${heap(l.heaps.middle)}`,
      `    end ${heap(l.heaps.end)}`,
    );
    const f = l.faceapi;
    if (f && 'error' in f) out.push(`  face-api.js full pipeline: failed (${f.error})`);
    else if (f) {
      out.push(
        `  face-api.js full pipeline (SSD MobileNet v1 + 68 landmarks + descriptor; ${f.detail}): ${f.photos} photos, ${f.faces} faces; ` +
          `decode ${(f.decodeMs / 1000).toFixed(1)} s + pipeline ${(f.pipelineMs / 1000).toFixed(1)} s = ${(f.totalMs / 1000).toFixed(1)} s ` +
          `(${ms(f.medianPipelineMs)} ms median per photo; load ${ms(f.loadMs)} ms, first photo ${ms(f.warmupMs)} ms, untimed)`,
        `  ratio_vs_faceapi = our wall time / its decode + pipeline time = ${ms(l.ratio_vs_faceapi, 2)} (against its pipeline alone ${ms(l.ratio_vs_faceapi_pipeline, 2)})`,
      );
    }
    if (l.loadAverage) {
      const a = l.loadAverage;
      out.push(
        `  load average (1 min): face-api.js first half ${a.faceapiBefore?.toFixed(2) ?? '-'} (every other photo, before ours), ours ${a.library.toFixed(2)} -> ${a.libraryEnd.toFixed(2)}, face-api.js second half after ${a.faceapiAfter?.toFixed(2) ?? '-'}`,
      );
    }
    if (l.errors.length) out.push(`  errors: ${l.errors.join(' | ')}`);
    out.push('');
  }
  if (r.app) out.push(`end_to_end_ms (bbt1 + bbt4, app, warm): ${ms(r.end_to_end_ms)}`, '');
  out.push('Goals');
  out.push(table(['goal', 'target', 'measured', 'met'], Object.entries(r.goals).map(([k, g]) => [k, g.target, g.value, g.met === null ? '?' : g.met ? 'yes' : 'NO'])));
  process.stdout.write(out.join('\n') + '\n');
}
