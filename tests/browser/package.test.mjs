// The npm package as a shop installs it: the tarball `cargo xtask pack` writes (TAILOR_PACKAGE)
// goes into a scratch folder with npm, a page served from that folder's node_modules under a
// deep path prefix recommends, the worker and wasm URLs can point elsewhere, the declarations
// type-check a shop's TypeScript (tsc) and list exactly what the modules export, and the demo
// shop works under /shop/.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, launchChromium, openPage, startServer } from './harness.mjs';
import { outfitsBundle, readItems, tempDir, testBundle } from './bundles.mjs';
import { LOAD_TIMEOUT, ask, waitReady } from './shop.mjs';

const NAME = 'tailor-recommender';
const PREFIX = '/deep/prefix';
const EXPORTS = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/types/exports.json'), 'utf8'));

function tarball() {
  const file = process.env.TAILOR_PACKAGE;
  if (!file || !fs.existsSync(file)) {
    throw new Error(`TAILOR_PACKAGE=${file ?? ''} must name the tarball \`cargo xtask pack\` writes; ` +
      'run the browser tests with `cargo xtask test`.');
  }
  return file;
}

// The page a static site would write: the package by its bare name (import map), the bundle and
// everything else relative to the page. ?worker= and ?wasm= move the worker and the wasm builds.
const PAGE = `
import * as api from '${NAME}';
import * as element from '${NAME}/element';
const params = new URLSearchParams(location.search);
const options = { backend: 'cpu' };
if (params.get('worker')) options.workerUrl = params.get('worker');
if (params.get('wasm')) options.wasmUrl = params.get('wasm');
window.modules = { '${NAME}': Object.keys(api).sort(), '${NAME}/element': Object.keys(element).sort() };
try {
  const rec = await api.Tailor.load('./bundle/', options);
  const result = await rec.recommend({ query: 'red summer dress', k: 5, history: [] });
  const members = [...Object.keys(rec), ...Object.getOwnPropertyNames(api.Tailor.prototype).filter((n) => n !== 'constructor')];
  window.outcome = { ok: true, ids: result.items.map((item) => item.id), members: members.sort(), url: rec.url };
  rec.close();
  const recs = document.createElement('tailor-recs');
  for (const [name, value] of Object.entries({ bundle: './bundle/', backend: 'cpu', k: '3' })) recs.setAttribute(name, value);
  if (options.workerUrl) recs.setAttribute('worker-url', options.workerUrl);
  if (options.wasmUrl) recs.setAttribute('wasm-url', options.wasmUrl);
  recs.addEventListener('tailor-ready', async () => {
    const shown = await recs.search('red summer dress');
    window.element = { ids: shown?.items.map((item) => item.id) ?? null, cards: recs.shadowRoot.querySelectorAll('li').length };
    document.body.dataset.state = 'done';
  });
  recs.addEventListener('tailor-error', (event) => {
    window.element = { error: event.detail.summary + ' ' + event.detail.detail };
    document.body.dataset.state = 'done';
  });
  document.body.append(recs);
} catch (error) {
  window.outcome = { ok: false, error: String(error?.message ?? error) };
  document.body.dataset.state = 'done';
}
`;

const session = {};
before(async () => {
  const scratch = tempDir('package');
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-shop', private: true }));
  // --offline: the package has no dependencies, so nothing may come from the registry.
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball()], { cwd: scratch, stdio: 'pipe' });
  const installed = path.join(scratch, 'node_modules', NAME);
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  // The page's import map, made from the package's own exports map: a wrong entry fails here.
  const imports = {};
  for (const [entry, target] of Object.entries(manifest.exports)) {
    const file = typeof target === 'string' ? target : target.default;
    if (file.endsWith('.js')) imports[entry === '.' ? NAME : `${NAME}${entry.slice(1)}`] = `./node_modules/${NAME}/${file.slice(2)}`;
  }
  fs.writeFileSync(path.join(scratch, 'index.html'), `<!doctype html>
<html lang="de-DE"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module" src="./page.mjs"></script></head><body data-state="loading"></body></html>`);
  fs.writeFileSync(path.join(scratch, 'page.mjs'), PAGE);
  const emptyRoot = tempDir('package-root');
  session.server = await startServer(emptyRoot, {
    [PREFIX]: scratch,
    [`${PREFIX}/bundle`]: testBundle(),
    '/elsewhere': installed,
    // The demo shop, served under /shop/ instead of /.
    '/shop': 'www',
    '/shop/web': 'web',
    '/shop/bundle': testBundle(),
    '/shop/looks': outfitsBundle(),
  });
  session.browser = await launchChromium();
  Object.assign(session, { scratch, installed, manifest });
});
after(async () => {
  await session.browser?.close();
  session.server?.close();
});

/** Opens the scratch page (with `query`), and returns what it did and every request the page
 * and its worker made. */
async function run(query = '') {
  const requests = [];
  const { page, problems } = await openPage(session.browser, `${session.server.url}${PREFIX}/${query}`, (p) => {
    p.context().on('request', (request) => requests.push(new URL(request.url()).pathname));
  });
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: LOAD_TIMEOUT });
  const result = await page.evaluate(() => ({ outcome: window.outcome, element: window.element, modules: window.modules }));
  await page.close();
  return { ...result, requests, problems };
}

test('package: the tarball holds the API, the element, the worker, both wasm builds and the licence, at the workspace version', () => {
  const listing = execFileSync('tar', ['-tzf', tarball()], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const file of ['package.json', 'README.md', 'LICENSE', 'tailor.js', 'tailor.d.ts', 'tailor-recs.js',
    'tailor-recs.d.ts', 'worker.js', 'wasm.js', 'history.js', 'errors.js',
    'pkg/cpu/tailor_wasm.js', 'pkg/cpu/tailor_wasm_bg.wasm', 'pkg/webgpu/tailor_wasm.js', 'pkg/webgpu/tailor_wasm_bg.wasm']) {
    assert.ok(listing.includes(`package/${file}`), `the tarball has ${file}: ${listing.join(', ')}`);
  }
  const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const workspaceVersion = cargo.match(/\[workspace\.package\][^[]*?\nversion = "([^"]+)"/)[1];
  assert.equal(session.manifest.version, workspaceVersion);
  assert.equal(session.manifest.name, NAME);
  assert.equal(session.manifest.type, 'module');
  assert.equal(session.manifest.license, 'Apache-2.0');
  assert.deepEqual(session.manifest.sideEffects, ['./tailor-recs.js', './worker.js']);
});

test('package: node resolves the exports map, and nothing it does not export', () => {
  const script = path.join(session.scratch, 'resolve.mjs');
  fs.writeFileSync(script, `
    const out = {};
    for (const s of ['${NAME}', '${NAME}/element', '${NAME}/worker', '${NAME}/history.js']) {
      try { out[s] = import.meta.resolve(s); } catch (e) { out[s] = e.code; }
    }
    console.log(JSON.stringify(out));`);
  const resolved = JSON.parse(execFileSync('node', [script], { cwd: session.scratch, encoding: 'utf8' }));
  const base = `file://${fs.realpathSync(session.installed)}/`;
  assert.equal(resolved[NAME], `${base}tailor.js`);
  assert.equal(resolved[`${NAME}/element`], `${base}tailor-recs.js`);
  assert.equal(resolved[`${NAME}/worker`], `${base}worker.js`);
  assert.equal(resolved[`${NAME}/history.js`], 'ERR_PACKAGE_PATH_NOT_EXPORTED');
});

test('package: a page served from node_modules under a deep prefix recommends, asking nothing outside it', async () => {
  const { outcome, element, modules, requests, problems } = await run();
  assert.equal(outcome.ok, true, outcome.error);
  assert.equal(outcome.url, `${session.server.url}${PREFIX}/bundle/`);
  const known = new Set(readItems(testBundle()).map((item) => item.id));
  assert.equal(outcome.ids.length, 5);
  for (const id of outcome.ids) assert.ok(known.has(id), id);
  assert.equal(element.error, undefined, element.error);
  assert.deepEqual(element.ids, outcome.ids.slice(0, 3), 'the element ranks as the API does');
  assert.equal(element.cards, 3);
  const outside = requests.filter((p) => !p.startsWith(`${PREFIX}/`));
  assert.deepEqual(outside, [], 'every request stays under the prefix');
  assert.ok(requests.includes(`${PREFIX}/node_modules/${NAME}/worker.js`), requests.join('\n'));
  assert.ok(requests.includes(`${PREFIX}/node_modules/${NAME}/pkg/cpu/tailor_wasm_bg.wasm`), requests.join('\n'));
  // What the modules export at run time is what exports.json lists, which tsc ties to the
  // declarations (tests/types/consumer.ts): code and .d.ts cannot drift apart unnoticed.
  for (const entry of [NAME, `${NAME}/element`]) {
    assert.deepEqual(modules[entry], Object.keys(EXPORTS[entry]).sort(), `the exports of ${entry}`);
  }
  assert.deepEqual(outcome.members, Object.keys(EXPORTS.Tailor).sort(), 'the members of a Tailor');
  assert.deepEqual(problems, []);
});

test('package: workerUrl and wasmUrl (and the element\'s worker-url, wasm-url) load them from elsewhere', async () => {
  const worker = '/elsewhere/worker.js';
  const wasm = '/elsewhere/pkg/';
  const { outcome, element, requests, problems } = await run(`?worker=${worker}&wasm=${wasm}`);
  assert.equal(outcome.ok, true, outcome.error);
  assert.equal(element.error, undefined, element.error);
  assert.equal(element.cards, 3);
  assert.ok(requests.includes(worker), requests.join('\n'));
  assert.ok(requests.includes('/elsewhere/pkg/cpu/tailor_wasm_bg.wasm'), requests.join('\n'));
  const defaults = requests.filter((p) => p.startsWith(`${PREFIX}/node_modules/${NAME}/pkg/`) || p === `${PREFIX}/node_modules/${NAME}/worker.js`);
  assert.deepEqual(defaults, [], 'nothing comes from the default places');
  assert.deepEqual(problems, []);
});

test('package: tsc --noEmit type-checks a shop\'s TypeScript against the installed declarations, and fails on a wrong one', () => {
  const tsc = path.join(ROOT, 'tests/node_modules/.bin/tsc');
  for (const file of ['consumer.ts', 'exports.json', 'tsconfig.json']) {
    fs.copyFileSync(path.join(ROOT, 'tests/types', file), path.join(session.scratch, file));
  }
  const good = spawnSync(tsc, ['-p', 'tsconfig.json'], { cwd: session.scratch, encoding: 'utf8' });
  assert.equal(good.status, 0, `tsc failed:\n${good.stdout}${good.stderr}`);
  // The check can fail: a consumer that misuses the API is refused.
  fs.writeFileSync(path.join(session.scratch, 'wrong.ts'),
    "import { Tailor } from 'tailor-recommender';\nexport const n: number = (await Tailor.load('/b/')).url;\n");
  fs.writeFileSync(path.join(session.scratch, 'tsconfig.wrong.json'),
    JSON.stringify({ extends: './tsconfig.json', files: ['wrong.ts'] }));
  const bad = spawnSync(tsc, ['-p', 'tsconfig.wrong.json'], { cwd: session.scratch, encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /TS2322/);
});

test('package: the demo shop works when served under /shop/', async () => {
  const requests = [];
  const { page, problems } = await openPage(session.browser, `${session.server.url}/shop/`, (p) => {
    p.context().on('request', (request) => requests.push(new URL(request.url()).pathname));
  });
  await waitReady(page);
  const results = await ask(page, 'red summer dress');
  assert.equal(results.length, 12);
  const bench = await page.locator('nav a').first().getAttribute('href');
  assert.equal(new URL(bench, `${session.server.url}/shop/`).pathname, '/shop/bench/');
  assert.deepEqual(requests.filter((p) => !p.startsWith('/shop/')), [], 'every request stays under /shop/');
  assert.deepEqual(problems, []);
  await page.close();
});
