// Test bundles for the browser tests: the ones `cargo xtask test` trains (TAILOR_TEST_BUNDLE, and
// TAILOR_OUTFITS_BUNDLE for complete the look), and
// temporary copies of them that the tests damage on purpose. Item ids and titles always come from
// the bundle's own items.json, never from constants here.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** The test bundle directory; throws a message that says what to do when it is not there. */
export function testBundle() {
  const dir = process.env.TAILOR_TEST_BUNDLE;
  if (!dir) {
    throw new Error('TAILOR_TEST_BUNDLE is not set: it must name a bundle directory (with ' +
      'manifest.json), e.g. the one `cargo xtask test` trains; run the browser tests with ' +
      '`cargo xtask test`, or set it to the output of `tailor export`.');
  }
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new Error(`TAILOR_TEST_BUNDLE=${dir} has no manifest.json: it must name a bundle directory`);
  }
  return path.resolve(dir);
}

/** The Fashion-MNIST example shop's bundle (TAILOR_OUTFITS_BUNDLE), the one with an outfit model:
 * a shop without outfits, like the test bundle's, gets none. */
export function outfitsBundle() {
  const dir = process.env.TAILOR_OUTFITS_BUNDLE;
  if (!dir || !fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new Error(`TAILOR_OUTFITS_BUNDLE=${dir ?? ''} must name a bundle directory with an outfit ` +
      'model, e.g. the one `cargo xtask test` exports from `tailor import fashion-mnist-outfits`.');
  }
  return path.resolve(dir);
}

/** The hand-made shop's bundle directory (TAILOR_HANDMADE_BUNDLE). */
export function handmadeBundle() {
  const dir = process.env.TAILOR_HANDMADE_BUNDLE;
  if (!dir || !fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new Error('TAILOR_HANDMADE_BUNDLE must name the bundle `cargo xtask test` exports from ' +
      'tests/fixtures/shop; run the browser tests with `cargo xtask test`.');
  }
  return path.resolve(dir);
}

/** Where the bundle file `name` ("items.json") is stored in `dir`: bundle files have
 * content-addressed names, which only the manifest knows. */
export function bundleFile(dir, name) {
  if (name === 'manifest.json') return path.join(dir, name);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const entry = manifest.files.find((f) => f.name === name);
  if (!entry) throw new Error(`${name} is not listed in ${dir}/manifest.json`);
  return path.join(dir, entry.path);
}

/** A bundle file ("manifest.json", "items.json", ...) parsed as JSON. */
export function readJson(dir, name) {
  return JSON.parse(fs.readFileSync(bundleFile(dir, name), 'utf8'));
}

/** The bundle's catalog, in bundle order. */
export const readItems = (dir) => readJson(dir, 'items.json');

const temporary = [];
after(() => {
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh empty directory, removed after the test file. */
export function tempDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tailor-${label}-`));
  temporary.push(dir);
  return dir;
}

/** A copy of a bundle (the test bundle by default) in a temporary directory (removed after the
 * test file). */
export function copyBundle(label, source = testBundle()) {
  const dir = tempDir(label);
  fs.cpSync(source, dir, { recursive: true });
  return dir;
}

/** Writes `bytes` to `file` and updates its size and sha256 in manifest.json, so that the copy
 * still verifies. */
export function rewriteVerified(dir, file, bytes) {
  fs.writeFileSync(bundleFile(dir, file), bytes);
  const manifest = readJson(dir, 'manifest.json');
  const entry = manifest.files.find((f) => f.name === file);
  entry.size = bytes.length;
  entry.sha256 = createHash('sha256').update(bytes).digest('hex');
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/** Text that must never reach a page: stack frames, Rust source locations, wasm frames. */
export const STACK_TRACE = /(^|\n)\s*at\s+\S|\.rs:\d|wasm-function|RuntimeError|\bpanicked\b/;
