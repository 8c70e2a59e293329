// Shared plumbing for the browser tests and the browser benchmark: a `tailor serve` process on a
// free loopback port, and headless Debian Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Without the networking flags Chromium tries to reach Google's hosts, which this sandbox refuses;
// --enable-unsafe-webgpu is what gives headless Chromium a WebGPU adapter (SwiftShader here).
export const CHROMIUM_FLAGS = [
  '--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--enable-unsafe-webgpu',
];

/** Serves `dir` with `mounts` ({'/web': 'web'}); relative paths are taken from the repository
 * root, absolute ones as they are. Resolves to { url, close } once the server prints its address. */
export function startServer(dir, mounts = {}) {
  const bin = process.env.TAILOR_BIN;
  if (!bin) {
    throw new Error('TAILOR_BIN is not set: run the browser tests with `cargo xtask test`');
  }
  const args = ['serve', path.resolve(ROOT, dir), '--addr', '127.0.0.1:0'];
  for (const [prefix, target] of Object.entries(mounts)) {
    args.push('--mount', `${prefix}=${path.resolve(ROOT, target)}`);
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${bin} serve printed no address within 20 s`));
    }, 20_000);
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = seen.match(/at (http:\/\/\S+?)\/?\s/);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], close: () => child.kill() });
      }
    });
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${bin} serve exited early with code ${code}`));
    });
  });
}

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    ignoreDefaultArgs: ['--headless'],
    args: CHROMIUM_FLAGS,
    timeout: 60_000,
  });
}

/** Opens `url` in a fresh context; uncaught page errors and console errors are collected in
 * `problems`. `setup(page)`, if given, runs before the navigation (init scripts, routes). */
export async function openPage(browser, url, setup) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    if (process.env.TAILOR_VERBOSE) console.log(`  [page ${message.type()}] ${message.text()}`);
  });
  await setup?.(page);
  await page.goto(url);
  return { page, problems };
}

/** For a test file: one server and one browser for all its tests, started before and closed
 * after them. The returned object gets `server` and `browser` once `before` has run. `mounts`
 * may be a function, called in `before`, so that a missing fixture fails the tests with its
 * message instead of the file. */
export function useBrowser(dir = 'tests/browser/pages', mounts = { '/web': 'web' }) {
  const session = {};
  before(async () => {
    session.server = await startServer(dir, typeof mounts === 'function' ? await mounts() : mounts);
    session.browser = await launchChromium();
  });
  after(async () => {
    await session.browser?.close();
    session.server?.close();
  });
  return session;
}
