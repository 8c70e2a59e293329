// Loads one flavour of Tailor's wasm module. The CPU build is small and always works; the WebGPU
// build is several megabytes, so it is imported (and downloaded) only when a caller asks for it.

const FLAVOURS = ['cpu', 'webgpu'];

/**
 * @param {'cpu' | 'webgpu'} flavour
 * @param {string | URL} [base] the folder holding `cpu/` and `webgpu/` (default: `pkg/` beside this module)
 * @returns {Promise<typeof import('./pkg/cpu/tailor_wasm.js')>} the initialised module
 */
export async function loadWasm(flavour = 'cpu', base = new URL('./pkg/', import.meta.url)) {
  if (!FLAVOURS.includes(flavour)) {
    throw new Error(`unknown wasm flavour "${flavour}"; expected one of ${FLAVOURS.join(', ')}`);
  }
  const module = await import(new URL(`${flavour}/tailor_wasm.js`, base).href);
  await module.default();
  return module;
}
