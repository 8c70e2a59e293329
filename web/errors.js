// Tailor's one error type on the JS side, and the one place that turns an error into words a
// shopper can read. The wasm module rejects with plain `Error`s named "TailorError" that carry a
// `code`; the worker passes them on as {name, code, message}, and the main thread rethrows them
// as `TailorError`s.

/** Plain-language sentence for each error code (wasm codes first, then the JS package's own). */
const SENTENCES = {
  missing: 'The recommendation bundle was not found on the server.',
  network: 'The recommendation bundle could not be downloaded.',
  damaged: 'The recommendation bundle is damaged: a file does not match its checksum.',
  integrity: 'The recommendation bundle is not the one this page expects: its manifest does not match the pinned integrity.',
  unknown_version: 'The recommendation bundle has a format version that this version of Tailor cannot read.',
  bad_manifest: 'The recommendation bundle has an invalid manifest.json.',
  bad_bundle: 'The recommendation bundle is damaged: its files cannot be used together.',
  bad_request: 'The recommendation request was not valid.',
  backend: 'The requested compute backend (WebGPU) is not available in this browser.',
  wasm: 'The Tailor wasm module could not be loaded.',
  worker: 'The recommendation worker could not start or stopped unexpectedly.',
  crashed: 'The recommender stopped in the middle of this request and was restarted; the next request will work.',
  timeout: 'The recommender took too long to answer.',
  closed: 'The recommender has been closed.',
  internal: 'Something went wrong inside the recommender.',
};

export const ERROR_CODES = Object.freeze(Object.keys(SENTENCES));

/** The first line of a message, without anything that looks like a stack trace. */
export function firstLine(message) {
  const text = String(message ?? '');
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  if (/^at\s|wasm-function|\.rs:\d/.test(line)) return '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export class TailorError extends Error {
  /**
   * @param {string} code one of ERROR_CODES
   * @param {string} message one line, for people
   */
  constructor(code, message) {
    super(firstLine(message) || SENTENCES[code] || SENTENCES.internal);
    this.name = 'TailorError';
    this.code = Object.hasOwn(SENTENCES, code) ? code : 'internal';
  }

  /** Any thrown value as a TailorError (an error from the wasm module keeps its code). */
  static from(error, fallbackCode = 'internal') {
    if (error instanceof TailorError) return error;
    const code = error && typeof error.code === 'string' && error.name === 'TailorError'
      ? error.code
      : fallbackCode;
    const message = error && typeof error === 'object' && 'message' in error ? error.message : error;
    return new TailorError(code, message);
  }

  /** What crosses postMessage: no stack. */
  toJSON() {
    return { name: 'TailorError', code: this.code, message: this.message };
  }
}

/**
 * Words for the page: `summary` (a plain sentence for the code) and `detail` (the error's own
 * first line, which names the file or field), never a stack trace.
 * @returns {{code: string, summary: string, detail: string}}
 */
export function describeError(error) {
  const e = TailorError.from(error);
  const summary = SENTENCES[e.code];
  const detail = e.message === summary ? '' : e.message;
  return { code: e.code, summary, detail };
}

/** Fills `element` (in a page, not the worker) with the plain sentence for an error in a
 * <strong>, then its own first line in a <span class="detail">; adds class "error". Text only. */
export function renderError(element, error) {
  const { summary, detail } = describeError(error);
  element.replaceChildren();
  element.classList.add('error');
  const strong = document.createElement('strong');
  strong.textContent = summary;
  element.append(strong);
  if (detail) {
    const span = document.createElement('span');
    span.className = 'detail';
    span.textContent = detail;
    element.append(span);
  }
}
