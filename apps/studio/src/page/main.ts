import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { drawChart } from './charts';
import { bundledDataset, userImages } from './datasets';
import { engineForTraining, engineLabel, startEngine, type EngineInfo } from './engine';
import { describeGenerator, droppedFiles, openFromFiles, openFromUrl, pickedFiles, type OpenGenerator, type PathedFile } from './generator';
import { downloadPng, generateImages, paintGrid, tileAt, type GridLayout } from './render';
import { concat, drawLatents, interpolate, pick, type InterpolationMode, type LatentBatch } from './sampling';
import { clearCheckpoint, loadCheckpoint, saveCheckpoint } from './store';
import { PRESETS, TrainingRun, type ImageData8, type PresetName, type TrainSettings } from './train';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};
const num = (id: string): number => Number($<HTMLInputElement>(id).value);
const canvas = (id: string) => $<HTMLCanvasElement>(id);

let engine: EngineInfo;
let gen: OpenGenerator | undefined;
let grid: { latents: LatentBatch; layout: GridLayout } | undefined;
let picks: number[] = [];
let animationTimer: ReturnType<typeof setInterval> | undefined;
let animationFrames: tf.Tensor | undefined;

function stopAnimation(): void {
  if (animationTimer) clearInterval(animationTimer);
  animationTimer = undefined;
  animationFrames?.dispose();
  animationFrames = undefined;
}

/** Publishes the live tensor count (the tests check it stays flat). */
function countTensors(): void {
  document.body.dataset.tensors = String(tf.memory().numTensors);
}

function status(message: string, kind: 'info' | 'error' = 'info'): void {
  const el = $('status');
  el.textContent = message;
  el.className = kind;
}

function fail(error: unknown): void {
  status(error instanceof Error ? error.message : String(error), 'error');
  console.error(error);
}

function show(view: string): void {
  for (const section of document.querySelectorAll<HTMLElement>('.view')) section.hidden = section.id !== `view-${view}`;
  for (const button of document.querySelectorAll<HTMLButtonElement>('nav button')) button.classList.toggle('active', button.dataset.view === view);
  document.body.dataset.view = view;
}

// ---- Open -------------------------------------------------------------------------------------------------------

async function opened(next: OpenGenerator): Promise<void> {
  stopAnimation();
  gen?.model.dispose();
  gen = next;
  picks = [];
  const extras = gen.extras.map((e) => (e.kind === 'labels' ? `${e.name}: ${e.numClasses} classes` : `${e.name}: ${e.dim} continuous`));
  const arch = gen.runConfig?.model?.architecture ? `${gen.runConfig.model.architecture}${gen.runConfig.name ? ` (${gen.runConfig.name})` : ''}, ` : '';
  const mapping = gen.truncation === 'psi' ? ' (mapping network: ψ-truncation)' : '';
  $('model-info').textContent = `${gen.source}: ${arch}z ${gen.latentDim}${mapping}${extras.length ? `, ${extras.join(', ')}` : ''} → ${gen.shape.join('×')} images`;
  showTruncationKind();
  status('');
  show('explore');
  await drawAll();
}

async function openFiles(files: PathedFile[]): Promise<void> {
  status(`opening ${files.length} files…`);
  await opened(await openFromFiles(files));
}

function setUpOpen(): void {
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer) void droppedFiles(e.dataTransfer.items).then(openFiles).catch(fail);
  });
  for (const id of ['pick-folder', 'pick-files']) {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('change', () => input.files && void openFiles(pickedFiles(input.files)).catch(fail));
  }
  $('url-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const url = $<HTMLInputElement>('url').value.trim();
    if (url) void openFromUrl(new URL(url, document.baseURI).href).then(opened).catch(fail);
  });
}

// ---- Explore ----------------------------------------------------------------------------------------------------

function truncation(): number | undefined {
  return $<HTMLInputElement>('truncate').checked ? num('truncation') : undefined;
}

/** ψ of StyleGAN2's truncation when it is on (applied to w as the generator runs); undefined otherwise. */
function psi(): number | undefined {
  return gen?.truncation === 'psi' ? truncation() : undefined;
}

/** What the truncation control means for the open generator: z-truncation's threshold t, or ψ toward the mean w. */
function showTruncationKind(): void {
  const kind = gen?.truncation ?? 'z';
  const label = $('truncation-kind');
  label.dataset.kind = kind;
  label.textContent = kind === 'psi' ? 'ψ toward mean w' : 'z threshold t';
  label.title =
    kind === 'psi'
      ? 'StyleGAN2 truncation (Karras et al. 2019): w′ = w_avg + ψ·(w − w_avg) with the mean w tracked in training; ψ = 1 is none, ψ = 0 the mean image'
      : 'z-truncation (Brock et al. 2019): every z component with |z| > t is redrawn; t = 0 is z = 0, the mean latent';
  const slider = $<HTMLInputElement>('truncation');
  slider.max = kind === 'psi' ? '1' : '3';
  $('truncation-value').textContent = Number(slider.value).toFixed(2);
}

function truncationCaption(t: number | undefined): string {
  if (t === undefined) return 'truncation off';
  return gen?.truncation === 'psi' ? `truncation ψ = ${t.toFixed(2)} (toward mean w)` : `truncation z threshold t = ${t.toFixed(2)}`;
}

async function paint(id: string, latents: LatentBatch, columns: number): Promise<GridLayout> {
  const images = generateImages(gen!.model, gen!, latents, psi());
  try {
    return await paintGrid(canvas(id), images, columns);
  } finally {
    images.dispose();
  }
}

async function drawGrid(): Promise<void> {
  if (!gen) return;
  const seed = Math.max(0, Math.floor(num('seed')));
  const count = Math.max(1, Math.floor(num('count')));
  const t = truncation();
  const latents = drawLatents(gen, count, seed, t === undefined ? {} : { truncation: t });
  const layout = await paint('grid', latents, Math.max(1, Math.floor(num('columns'))));
  grid = { latents, layout };
  const caption = `seed ${seed} · ${count} samples · ${truncationCaption(t)}`;
  $('grid-caption').textContent = caption;
  canvas('grid').dataset.seed = String(seed);
  history.replaceState(null, '', `#seed=${seed}${t === undefined ? '' : `&truncation=${t}`}`);
}

async function drawInterpolation(): Promise<void> {
  if (!gen || !grid || picks.length < 2) return;
  const [a, b] = [pick(grid.latents, gen, picks[0]!), pick(grid.latents, gen, picks[1]!)];
  const mode = $<HTMLSelectElement>('interp-mode').value as InterpolationMode;
  const steps = Math.max(2, Math.floor(num('interp-steps')));
  await paint('strip', interpolate(a, b, gen, steps, mode), steps);
  // The animation: 48 frames there and back, painted one at a time.
  stopAnimation();
  const frames = interpolate(a, b, gen, 24, mode);
  const images = generateImages(gen.model, gen, frames, psi());
  animationFrames = images;
  const order = [...Array(24).keys(), ...[...Array(24).keys()].reverse()];
  let k = 0;
  const target = gen;
  const showFrame = async () => {
    if (images.isDisposed) return; // a newer animation replaced this one
    if (gen !== target) {
      stopAnimation();
      return;
    }
    const frame: tf.Tensor4D = tf.slice(images, [order[k % order.length]!, 0, 0, 0], [1, -1, -1, -1]);
    k++;
    await paintGrid(canvas('animation'), frame, 1).finally(() => frame.dispose());
  };
  await showFrame();
  animationTimer = setInterval(() => void showFrame(), 80);
}

async function drawClasses(): Promise<void> {
  const labels = gen?.extras.findIndex((e) => e.kind === 'labels') ?? -1;
  $('classes-panel').hidden = labels < 0;
  if (!gen || labels < 0) return;
  const extra = gen.extras[labels]!;
  if (extra.kind !== 'labels') return;
  const columns = 8;
  const base = drawLatents(gen, columns, Math.max(0, Math.floor(num('seed'))), truncation() === undefined ? {} : { truncation: truncation()! });
  const rows: LatentBatch[] = [];
  for (let k = 0; k < extra.numClasses; k++) {
    const row = { ...base, extras: base.extras.map((x, i) => (i === labels ? new Float32Array(columns).fill(k) : x)) };
    rows.push(row);
  }
  await paint('classes', concat(rows, gen), columns);
}

function codeValues(): { category: number; continuous: number[] } {
  const category = Number(document.querySelector<HTMLSelectElement>('#code-category')?.value ?? 0);
  const continuous = Array.from(document.querySelectorAll<HTMLInputElement>('.code-slider'), (s) => Number(s.value));
  return { category, continuous };
}

async function drawCodes(): Promise<void> {
  const cont = gen?.extras.findIndex((e) => e.kind === 'continuous') ?? -1;
  $('codes-panel').hidden = cont < 0;
  if (!gen || cont < 0) return;
  const columns = 8;
  const base = drawLatents(gen, columns, Math.max(0, Math.floor(num('seed'))));
  const { category, continuous } = codeValues();
  const extras = gen.extras.map((e) => {
    if (e.kind === 'labels') return new Float32Array(columns).fill(category);
    return Float32Array.from({ length: columns * e.dim }, (_, j) => continuous[j % e.dim] ?? 0);
  });
  await paint('codes', { ...base, extras }, columns);
}

function buildCodeControls(): void {
  const box = $('code-controls');
  box.replaceChildren();
  if (!gen) return;
  for (const e of gen.extras) {
    if (e.kind === 'labels' && gen.extras.some((x) => x.kind === 'continuous')) {
      const select = document.createElement('select');
      select.id = 'code-category';
      for (let k = 0; k < e.numClasses; k++) select.add(new Option(`category ${k}`, String(k)));
      select.addEventListener('change', () => void drawCodes().catch(fail));
      box.append(select);
    } else if (e.kind === 'continuous') {
      for (let j = 0; j < e.dim; j++) {
        const label = document.createElement('label');
        const slider = Object.assign(document.createElement('input'), { type: 'range', min: '-2', max: '2', step: '0.05', value: '0', className: 'code-slider' });
        const out = document.createElement('output');
        out.textContent = '0.00';
        slider.addEventListener('input', () => {
          out.textContent = Number(slider.value).toFixed(2);
          void drawCodes().catch(fail);
        });
        label.append(`c${j + 1} `, slider, out);
        box.append(label);
      }
    }
  }
}

async function drawAll(): Promise<void> {
  buildCodeControls();
  await drawGrid();
  await drawClasses();
  await drawCodes();
  countTensors();
}

function setUpExplore(): void {
  $('grid-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void drawAll().catch(fail);
  });
  $('new-seed').addEventListener('click', () => {
    $<HTMLInputElement>('seed').value = String(Math.floor(Math.random() * 2 ** 31));
    void drawAll().catch(fail);
  });
  const t = $<HTMLInputElement>('truncation');
  t.addEventListener('input', () => {
    $('truncation-value').textContent = Number(t.value).toFixed(2);
    if ($<HTMLInputElement>('truncate').checked) void drawGrid().catch(fail);
  });
  $('truncate').addEventListener('change', () => void drawGrid().catch(fail));
  canvas('grid').addEventListener('click', (e) => {
    if (!grid) return;
    const index = tileAt(canvas('grid'), grid.layout, e);
    if (index === undefined) return;
    picks = picks.length >= 2 ? [index] : [...picks, index];
    $('pick-a').textContent = picks[0] === undefined ? '–' : `#${picks[0]}`;
    $('pick-b').textContent = picks[1] === undefined ? '–' : `#${picks[1]}`;
    void drawInterpolation().catch(fail);
  });
  for (const id of ['interp-mode', 'interp-steps']) $(id).addEventListener('change', () => void drawInterpolation().catch(fail));
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-download]')) {
    button.addEventListener('click', () => {
      const id = button.dataset.download!;
      const seed = canvas('grid').dataset.seed ?? '0';
      downloadPng(canvas(id), `gankit-${id}-seed${seed}.png`);
    });
  }
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('seed')) $<HTMLInputElement>('seed').value = hash.get('seed')!;
  if (hash.has('truncation')) {
    $<HTMLInputElement>('truncate').checked = true;
    t.value = hash.get('truncation')!;
  }
}

// ---- Train ------------------------------------------------------------------------------------------------------

let run: TrainingRun | undefined;
let running = false;
let userData: ImageData8 | undefined;

function settings(): TrainSettings {
  return {
    preset: $<HTMLSelectElement>('preset').value as PresetName,
    dataset: $<HTMLSelectElement>('dataset').value,
    seed: num('train-seed'),
    steps: num('steps'),
    batchSize: num('batch'),
    width: num('width'),
    latentDim: num('latent'),
    lrG: num('lr-g'),
    lrD: num('lr-d'),
    beta1: num('beta1'),
    beta2: num('beta2'),
    sampleEvery: num('sample-every'),
    checkpointEvery: num('checkpoint-every'),
  };
}

function applySettings(s: TrainSettings): void {
  const set = (id: string, v: string | number) => ($<HTMLInputElement>(id).value = String(v));
  set('preset', s.preset);
  set('dataset', s.dataset);
  set('train-seed', s.seed);
  set('steps', s.steps);
  set('batch', s.batchSize);
  set('width', s.width);
  set('latent', s.latentDim);
  set('lr-g', s.lrG);
  set('lr-d', s.lrD);
  set('beta1', s.beta1);
  set('beta2', s.beta2);
  set('sample-every', s.sampleEvery);
  set('checkpoint-every', s.checkpointEvery);
}

async function datasetFor(s: TrainSettings): Promise<ImageData8> {
  if (s.dataset !== 'images') return bundledDataset(s.dataset);
  if (!userData) throw new Error('pick your images first (the "my images" file picker)');
  return userData;
}

/** Every step takes a full batch (the pipeline drops a short remainder), so fewer images than the batch size cannot train. */
function checkEnoughImages(data: ImageData8, s: TrainSettings): void {
  const count = data.images.length / (data.shape[0] * data.shape[1] * data.shape[2]);
  if (count < s.batchSize) throw new Error(`batch size ${s.batchSize} needs at least ${s.batchSize} training images, and ${s.dataset === 'images' ? 'you picked' : `${s.dataset} has`} ${count}: pick more images or lower the batch size`);
}

function setButtons(): void {
  $<HTMLButtonElement>('train').disabled = !run;
  $('train').textContent = running ? 'Pause' : run && run.step > 0 ? 'Continue' : 'Train';
  $<HTMLButtonElement>('export').disabled = !run || running;
  $<HTMLButtonElement>('explore-run').disabled = !run || running;
  $<HTMLButtonElement>('new-run').disabled = running;
}

async function drawLive(): Promise<void> {
  if (!run) return;
  const h = run.history;
  drawChart(canvas('loss-chart'), 'loss', [
    { label: 'D', color: '#c0392b', values: h.map((r) => ({ x: r.step, y: r.dLoss })) },
    { label: 'G', color: '#2471a3', values: h.map((r) => ({ x: r.step, y: r.gLoss })) },
  ]);
  drawChart(canvas('d-chart'), 'D output (mean logit)', [
    { label: 'D(x)', color: '#1e8449', values: h.map((r) => ({ x: r.step, y: r.dReal })) },
    { label: 'D(G(z))', color: '#7d3c98', values: h.map((r) => ({ x: r.step, y: r.dFake })) },
  ]);
  const images = run.samples();
  try {
    await paintGrid(canvas('train-samples'), images, 8);
  } finally {
    images.dispose();
  }
}

async function checkpointNow(): Promise<void> {
  if (!run) return;
  await saveCheckpoint(await run.checkpoint());
  $('checkpoint-status').textContent = `checkpoint saved in IndexedDB at step ${run.step}`;
  $('checkpoint-status').dataset.step = String(run.step);
}

async function trainLoop(): Promise<void> {
  if (!run) return;
  running = true;
  setButtons();
  const r = run;
  const startStep = r.step;
  let windowStart = performance.now();
  let windowImages = 0;
  let rate = 0;
  // The mean rate over the steps after the first WARMUP of this session (kernel compilation and the first allocations).
  const WARMUP = 5;
  let warm: { step: number; time: number } | undefined;
  try {
    while (running && r.step < r.settings.steps && run === r) {
      const t0 = performance.now();
      const rec = await r.trainStep();
      windowImages += r.settings.batchSize;
      const now = performance.now();
      if (now - windowStart > 1000 || rate === 0) {
        rate = (windowImages * 1000) / (now - windowStart);
        windowStart = now;
        windowImages = 0;
      }
      $('train-status').textContent = `step ${rec.step} / ${r.settings.steps} · D loss ${rec.dLoss.toFixed(3)} · G loss ${rec.gLoss.toFixed(3)} · ${rate.toFixed(1)} images/s (${(now - t0).toFixed(0)} ms/step) on ${engine.name}`;
      $('train-status').dataset.step = String(rec.step);
      $('train-status').dataset.imagesPerSecond = rate.toFixed(2);
      if (!warm && rec.step >= startStep + WARMUP) warm = { step: rec.step, time: now };
      else if (warm) $('train-status').dataset.meanImagesPerSecond = (((rec.step - warm.step) * r.settings.batchSize * 1000) / (now - warm.time)).toFixed(2);
      if (rec.step % r.settings.sampleEvery === 0 || rec.step === r.settings.steps) await drawLive();
      if (rec.step % r.settings.checkpointEvery === 0 || rec.step === r.settings.steps) await checkpointNow();
      countTensors();
      await new Promise((resolve) => setTimeout(resolve, 0)); // let the page repaint and take clicks
    }
    if (r.step >= r.settings.steps) {
      $('train-status').textContent += ' · done';
      $('train-status').dataset.done = 'true';
    }
  } finally {
    running = false;
    setButtons();
  }
}

async function newRun(): Promise<void> {
  const s = settings();
  const data = await datasetFor(s);
  checkEnoughImages(data, s);
  status('');
  run?.dispose();
  run = undefined;
  engine = await engineForTraining(engine);
  $('engine').textContent = engineLabel(engine);
  run = new TrainingRun(s, data);
  $('train-status').textContent = `new ${s.preset} model, width ${s.width}, on ${s.dataset}: step 0`;
  // Its first checkpoint will replace the saved one; until then the saved one belongs to another run.
  $('checkpoint-status').textContent = `checkpoints every ${s.checkpointEvery} steps will replace the saved one`;
  delete $('checkpoint-status').dataset.step;
  $('train-status').dataset.step = '0';
  delete $('train-status').dataset.done;
  await drawLive();
  setButtons();
}

async function resumeRun(): Promise<void> {
  const saved = await loadCheckpoint<TrainSettings>();
  if (!saved) throw new Error('no checkpoint saved in this browser');
  applySettings(saved.settings);
  run?.dispose();
  engine = await engineForTraining(engine);
  $('engine').textContent = engineLabel(engine);
  run = await TrainingRun.resume(saved, await datasetFor(saved.settings));
  $('train-status').textContent = `resumed from the IndexedDB checkpoint at step ${run.step}`;
  $('train-status').dataset.step = String(run.step);
  $('train-status').dataset.resumedFrom = String(run.step);
  $('resume').hidden = true;
  await drawLive();
  void trainLoop().catch(fail);
}

function setUpTrain(): void {
  $('dataset').addEventListener('change', () => ($('images-controls').hidden = $<HTMLSelectElement>('dataset').value !== 'images'));
  $('preset').addEventListener('change', () => {
    const p = PRESETS[$<HTMLSelectElement>('preset').value as PresetName];
    $<HTMLInputElement>('lr-g').value = String(p.lrG);
    $<HTMLInputElement>('lr-d').value = String(p.lrD);
    $<HTMLInputElement>('beta1').value = String(p.beta1);
    $<HTMLInputElement>('beta2').value = String(p.beta2);
  });
  const images = $<HTMLInputElement>('images');
  const loadImages = () => {
    // Changing the size or the grayscale box before any file is picked has nothing to load yet.
    if (!images.files || images.files.length === 0) return;
    void userImages(Array.from(images.files), num('image-size'), $<HTMLInputElement>('grayscale').checked)
      .then((data) => {
        userData = data;
        status('');
        $('images-count').textContent = `${data.images.length / data.shape.reduce((a, b) => a * b)} images at ${data.shape.join('×')}`;
      })
      .catch(fail);
  };
  images.addEventListener('change', loadImages);
  $('image-size').addEventListener('change', loadImages);
  $('grayscale').addEventListener('change', loadImages);
  $('new-run').addEventListener('click', () => void newRun().catch(fail));
  $('train').addEventListener('click', () => {
    if (running) running = false;
    else void trainLoop().catch(fail);
  });
  $('resume').addEventListener('click', () => void resumeRun().catch(fail));
  $('export').addEventListener('click', () => void run?.generator.save('downloads://model').catch(fail));
  $('explore-run').addEventListener('click', () => {
    if (!run) return;
    // A copy through the model files' in-memory form, so training on can go on without changing what is explored.
    void run.generator
      .save(tf.io.withSaveHandler((artifacts) => Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts), artifacts } as tf.io.SaveResult)))
      .then(async (result) => {
        const copy = await loadLayersModel(tf.io.fromMemory((result as tf.io.SaveResult & { artifacts: tf.io.ModelArtifacts }).artifacts));
        await opened(describeGenerator(copy, `trained in this tab (step ${run!.step})`));
      })
      .catch(fail);
  });
  $('forget').addEventListener('click', () =>
    void clearCheckpoint()
      .then(() => {
        $('resume').hidden = true;
        $('checkpoint-status').textContent = 'no checkpoint saved';
      })
      .catch(fail),
  );
  void loadCheckpoint<TrainSettings>()
    .then((saved) => {
      if (!saved) return;
      $('resume').hidden = false;
      $('resume').textContent = `Resume saved run (step ${saved.step})`;
      $('checkpoint-status').textContent = `a checkpoint at step ${saved.step} is saved in this browser (${saved.savedAt})`;
      $('checkpoint-status').dataset.step = String(saved.step);
    })
    .catch(fail);
  setButtons();
}

// ---- Start ------------------------------------------------------------------------------------------------------

async function start(): Promise<void> {
  for (const button of document.querySelectorAll<HTMLButtonElement>('nav button')) button.addEventListener('click', () => show(button.dataset.view!));
  setUpOpen();
  setUpExplore();
  setUpTrain();
  const query = new URLSearchParams(location.search);
  const threads = query.has('threads') ? Number(query.get('threads')) : undefined;
  engine = await startEngine(query.get('engine'), threads !== undefined && Number.isInteger(threads) && threads >= 1 ? threads : undefined);
  $('engine').textContent = engineLabel(engine);
  $('engine').dataset.engine = engine.name;
  $('engine').dataset.threads = String(engine.threads);
  if (engine.notes.length) $('engine').title = engine.notes.join('\n');
  const view = new URLSearchParams(location.search).get('view');
  if (view) show(view);
  document.body.dataset.ready = 'true';
}

void start().catch(fail);
