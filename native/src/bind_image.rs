//! JavaScript binding of the image path: `preprocessJpeg`, called from a decode worker thread
//! (core/src/embed/decode-worker.ts). It is synchronous on purpose: the decode pool's threads are
//! the parallelism, and a hop to the libuv pool per image would cost more than it frees.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::decode_jpeg::decode_jpeg;
use crate::invalid;
use crate::model_input::{write_tensor, Fit, InputSpec, Rgb};

/// The model config's preprocessing (core/src/embed/model.ts `ModelConfig`), its size resolved.
#[napi(object, object_to_js = false)]
pub struct ModelInputOptions {
    pub width: u32,
    pub height: u32,
    #[napi(ts_type = "'stretch' | 'crop' | 'pad'")]
    pub resize: String,
    #[napi(ts_type = "'rgb' | 'bgr'")]
    pub channels: String,
    #[napi(ts_type = "'0-1' | '0-255'")]
    pub range: String,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    #[napi(ts_type = "'nchw' | 'nhwc'")]
    pub layout: String,
}

/// What became of one image.
#[napi(object)]
pub struct PreprocessResult {
    /// False when the native path does not take this file (not a JPEG, or a rotated one): the
    /// caller decodes it the other way, and nothing was written.
    pub handled: bool,
    /// Why the image cannot be used (the reason its sample is marked corrupt with).
    pub error: Option<String>,
    /// The thumbnail (JPEG, longest side at most the size asked for), from the same decode.
    pub thumbnail: Option<Buffer>,
}

fn spec_of(options: &ModelInputOptions) -> Result<InputSpec> {
    let triple = |name: &str, values: &[f64]| -> Result<[f32; 3]> {
        match values {
            [a, b, c] => Ok([*a as f32, *b as f32, *c as f32]),
            _ => Err(invalid(format!("preprocessJpeg: {name} needs 3 values, got {}", values.len()))),
        }
    };
    let fit = match options.resize.as_str() {
        "stretch" => Fit::Stretch,
        "crop" => Fit::Crop,
        "pad" => Fit::Pad,
        other => return Err(invalid(format!("preprocessJpeg: resize must be stretch, crop or pad, got {other}"))),
    };
    Ok(InputSpec {
        width: options.width,
        height: options.height,
        fit,
        bgr: options.channels == "bgr",
        range_255: options.range == "0-255",
        mean: triple("mean", &options.mean)?,
        std: triple("std", &options.std)?,
        channels_last: options.layout == "nhwc",
    })
}

fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8, 0xff])
}

/// The picture shrunk to fit `size` (never enlarged), as a JPEG of quality 80.
fn thumbnail(image: &Rgb, size: u32, resizer: &mut Resizer) -> std::result::Result<Vec<u8>, String> {
    let scale = (size as f64 / image.width.max(image.height) as f64).min(1.0);
    let (w, h) = (((image.width as f64 * scale).round() as u32).max(1), ((image.height as f64 * scale).round() as u32).max(1));
    let source = ImageRef::new(image.width, image.height, image.pixels, PixelType::U8x3).map_err(|e| e.to_string())?;
    let mut small = Image::new(w, h, PixelType::U8x3);
    resizer
        .resize(&source, &mut small, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)))
        .map_err(|e| e.to_string())?;
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 80)
        .encode(small.buffer(), w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| e.to_string())?;
    Ok(jpeg)
}

/// One JPEG's input values written into `out` (a tensor slot) and, when `thumbnailSize` > 0, its
/// thumbnail, from one decode. The size is checked against `maxPixels` before decoding.
#[napi]
pub fn preprocess_jpeg(
    bytes: Uint8Array,
    input: ModelInputOptions,
    mut out: Float32Array,
    thumbnail_size: u32,
    max_pixels: f64,
) -> Result<PreprocessResult> {
    let spec = spec_of(&input)?;
    if !is_jpeg(&bytes) {
        return Ok(PreprocessResult { handled: false, error: None, thumbnail: None });
    }
    let decoded = match decode_jpeg(&bytes, max_pixels as u64) {
        Ok(decoded) => decoded,
        Err(reason) => return Ok(PreprocessResult { handled: true, error: Some(reason), thumbnail: None }),
    };
    if decoded.orientation != 1 {
        return Ok(PreprocessResult { handled: false, error: None, thumbnail: None });
    }
    let image = Rgb { pixels: &decoded.pixels, width: decoded.width, height: decoded.height };
    let mut resizer = Resizer::new();
    // SAFETY: the slot is this call's alone: the decode pool hands each slot to one worker at a
    // time, and nothing reads it before this call returns.
    let slot = unsafe { out.as_mut() };
    if let Err(reason) = write_tensor(&image, &spec, &mut resizer, slot) {
        return Ok(PreprocessResult { handled: true, error: Some(reason), thumbnail: None });
    }
    let thumbnail = if thumbnail_size == 0 {
        None
    } else if decoded.width.max(decoded.height) <= thumbnail_size {
        Some(bytes.to_vec().into()) // an upright JPEG that fits is its own thumbnail
    } else {
        match self::thumbnail(&image, thumbnail_size, &mut resizer) {
            Ok(jpeg) => Some(jpeg.into()),
            Err(reason) => return Ok(PreprocessResult { handled: true, error: Some(format!("thumbnail: {reason}")), thumbnail: None }),
        }
    };
    Ok(PreprocessResult { handled: true, error: None, thumbnail })
}
