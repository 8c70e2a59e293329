//! The one Burn device of this module instance. WebGPU must be initialised asynchronously before
//! any tensor exists, so every entry point that touches Burn awaits `device()` first.

use std::cell::RefCell;

use burn::prelude::Device;
use wasm_bindgen::prelude::*;

thread_local! {
    static DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// "webgpu" or "cpu": which flavour of the module this is.
#[wasm_bindgen]
pub fn backend_flavour() -> String {
    if cfg!(feature = "webgpu") {
        "webgpu"
    } else {
        "cpu"
    }
    .to_string()
}

/// Initialises the backend (idempotent) and describes the device it got.
#[wasm_bindgen]
pub async fn init_backend() -> Result<String, JsError> {
    let device = device().await.map_err(|e| JsError::new(&e))?;
    Ok(format!("{device:?}"))
}

/// The device, or why it could not be created.
pub(crate) async fn device() -> Result<Device, String> {
    if let Some(device) = DEVICE.with(|cell| cell.borrow().clone()) {
        return Ok(device);
    }
    let device = create_device().await?;
    DEVICE.with(|cell| *cell.borrow_mut() = Some(device.clone()));
    Ok(device)
}

#[cfg(feature = "webgpu")]
async fn create_device() -> Result<Device, String> {
    use burn::tensor::wgpu::WgpuBackend;
    Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|e| format!("WebGPU is not available: {e}"))
}

#[cfg(not(feature = "webgpu"))]
async fn create_device() -> Result<Device, String> {
    Ok(Device::flex())
}
