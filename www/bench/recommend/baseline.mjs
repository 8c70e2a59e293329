// The baseline Tailor is measured against: transformers.js (@huggingface/transformers, served from
// /vendor/transformers/) embedding the query with the int8 ONNX all-MiniLM-L6-v2 (served from
// /models/minilm-int8/), then a brute-force cosine scan in plain JavaScript over item embeddings
// that were normalised once at load time, keeping the top k.
//
// Nothing here talks to anything but this page's own origin: remote models are off, the ONNX
// Runtime wasm files come from /vendor/ort/, and no browser cache (Cache API) is used.

/** The model folder under /models/ (transformers.js' "local model" layout). */
export const MODEL_ID = 'minilm-int8';
/** MiniLM's output width: the baseline scans item vectors of this size. */
export const MINILM_DIM = 384;

const TRANSFORMERS_URL = '/vendor/transformers/transformers.min.js';
const ORT_URL = '/vendor/ort/';

/** Which ONNX Runtime wasm build: 'asyncify' is what transformers.js picks by itself (it also
 * carries the WebGPU execution provider, 26.9 MB); 'plain' is the CPU-only build (14.3 MB), faster
 * to load and to run on the CPU, so the benchmark's default: the stronger baseline. */
export const ORT_BUILDS = {
  asyncify: 'ort-wasm-simd-threaded.asyncify',
  plain: 'ort-wasm-simd-threaded',
};

/**
 * Imports transformers.js and points it at local files only. Returns the module.
 * @param {{ortBuild?: keyof ORT_BUILDS}} [options]
 */
export async function importTransformers({ ortBuild = 'plain' } = {}) {
  const transformers = await import(TRANSFORMERS_URL);
  const { env } = transformers;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = '/models/';
  // No Cache API: every load is measured as what it is, and nothing outlives the page.
  env.useBrowserCache = false;
  // Off, or transformers.js re-imports the ONNX Runtime glue from a blob: URL (blocked by the CSP).
  env.useWasmCache = false;
  const wasm = env.backends.onnx.wasm;
  const base = ORT_BUILDS[ortBuild];
  if (!base) throw new Error(`unknown ONNX Runtime build "${ortBuild}"`);
  wasm.wasmPaths = { mjs: `${ORT_URL}${base}.mjs`, wasm: `${ORT_URL}${base}.wasm` };
  // The page is not cross-origin isolated, so there are no wasm threads; say so instead of
  // letting ONNX Runtime warn and fall back.
  wasm.numThreads = 1;
  wasm.proxy = false;
  return transformers;
}

/**
 * The feature-extraction pipeline on the int8 model (dtype q8 = onnx/model_quantized.onnx), on
 * ONNX Runtime's wasm (CPU) backend, from an imported transformers.js module. Returns
 * `embed(text) -> Float32Array(384)` (mean pooled, L2-normalised).
 */
export async function createExtractor(transformers) {
  const extractor = await transformers.pipeline('feature-extraction', MODEL_ID, {
    dtype: 'q8',
    device: 'wasm',
  });
  const embed = async (text) => {
    const output = await extractor(text, { pooling: 'mean', normalize: true });
    const vector = Float32Array.from(output.data);
    output.dispose?.();
    return vector;
  };
  return { embed, extractor };
}

/** importTransformers + createExtractor: {embed, extractor, transformers, version}. */
export async function loadExtractor(options = {}) {
  const transformers = await importTransformers(options);
  const { embed, extractor } = await createExtractor(transformers);
  return { embed, extractor, transformers, version: transformers.env.version };
}

let f16Table = null;

/** Little-endian IEEE half floats -> Float32Array (through a 65,536-entry table). */
export function decodeF16(buffer) {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exponent = (h >> 10) & 0x1f;
      const mantissa = h & 0x3ff;
      let value;
      if (exponent === 0) value = mantissa * 2 ** -24;
      else if (exponent === 31) value = mantissa ? NaN : Infinity;
      else value = (1 + mantissa / 1024) * 2 ** (exponent - 15);
      f16Table[h] = sign * value;
    }
  }
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : buffer;
  if (bytes.byteLength % 2 !== 0) throw new Error(`an f16 file has an odd length (${bytes.byteLength} bytes)`);
  const out = new Float32Array(bytes.byteLength / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = f16Table[view.getUint16(2 * i, true)];
  return out;
}

/** Scales each row of a row-major [rows, dim] matrix to unit length, in place. */
export function normaliseRows(matrix, dim) {
  for (let offset = 0; offset < matrix.length; offset += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += matrix[offset + j] * matrix[offset + j];
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let j = 0; j < dim; j++) matrix[offset + j] *= scale;
  }
  return matrix;
}

/**
 * Brute-force top-k by dot product (= cosine, rows and query being unit vectors).
 * Returns {indices, scores}, best first.
 */
export function topKDot(matrix, dim, query, k) {
  const rows = matrix.length / dim;
  k = Math.min(k, rows);
  const bestScores = new Float64Array(k).fill(-Infinity);
  const bestIndices = new Int32Array(k).fill(-1);
  let floor = -Infinity;
  const tail = dim - (dim % 4);
  for (let i = 0, offset = 0; i < rows; i++, offset += dim) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let j = 0;
    for (; j < tail; j += 4) {
      s0 += matrix[offset + j] * query[j];
      s1 += matrix[offset + j + 1] * query[j + 1];
      s2 += matrix[offset + j + 2] * query[j + 2];
      s3 += matrix[offset + j + 3] * query[j + 3];
    }
    for (; j < dim; j++) s0 += matrix[offset + j] * query[j];
    const score = s0 + s1 + s2 + s3;
    if (score <= floor) continue;
    let slot = k - 1;
    while (slot > 0 && bestScores[slot - 1] < score) {
      bestScores[slot] = bestScores[slot - 1];
      bestIndices[slot] = bestIndices[slot - 1];
      slot--;
    }
    bestScores[slot] = score;
    bestIndices[slot] = i;
    floor = bestScores[k - 1];
  }
  return { indices: Array.from(bestIndices), scores: Array.from(bestScores) };
}

/** `rows` random unit vectors of `dim` floats (mulberry32, reproducible from `seed`). */
export function randomUnitRows(rows, dim, seed = 1) {
  const out = new Float32Array(rows * dim);
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5;
  };
  for (let i = 0; i < out.length; i++) out[i] = next();
  return normaliseRows(out, dim);
}

/**
 * The item vectors the baseline scans: the bundle's own item_embeddings.bin when it holds
 * MINILM_DIM-wide f16 rows (the minilm bundles), normalised once here.
 * Returns {matrix, rows, dim, source, ids, bytes}.
 */
export async function loadItemVectors(bundleUrl) {
  const base = bundleUrl.endsWith('/') ? bundleUrl : `${bundleUrl}/`;
  const manifestResponse = await fetch(`${base}manifest.json`);
  if (!manifestResponse.ok) throw new Error(`${base}manifest.json: HTTP ${manifestResponse.status}`);
  const manifest = await manifestResponse.json();
  const rows = Number(manifest.item_count);
  const dim = Number(manifest.dim);
  if (manifest.item_embedding_encoding !== 'f16') {
    throw new Error(`${base}: item embeddings are ${manifest.item_embedding_encoding}, the baseline reads f16`);
  }
  if (dim !== MINILM_DIM) {
    throw new Error(`${base}: item embeddings are ${dim} wide, MiniLM queries are ${MINILM_DIM}`);
  }
  // Stored under a content-addressed name, which the manifest gives.
  const entry = manifest.files?.find((f) => f.name === 'item_embeddings.bin');
  if (!entry) throw new Error(`${base}manifest.json lists no item_embeddings.bin`);
  const response = await fetch(`${base}${entry.path}`);
  if (!response.ok) throw new Error(`${base}${entry.path}: HTTP ${response.status}`);
  const buffer = await response.arrayBuffer();
  if (buffer.byteLength !== rows * dim * 2) {
    throw new Error(`${base}item_embeddings.bin holds ${buffer.byteLength} bytes, expected ${rows} x ${dim} x 2`);
  }
  const matrix = normaliseRows(decodeF16(buffer), dim);
  return { matrix, rows, dim, source: `${base}item_embeddings.bin`, bytes: buffer.byteLength, manifest };
}
