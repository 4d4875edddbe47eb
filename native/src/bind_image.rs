//! JavaScript binding of the image path (decode_image.rs, model_input.rs, thumbnail.rs): one
//! image's input tensor and thumbnail from one decode, a thumbnail alone, and the crops of its
//! boxes. The calls are synchronous on purpose: they run on the decode pool's worker threads
//! (core/src/embed/decode-worker.ts), which are the parallelism, and a hop to the libuv pool per
//! image would cost more than it frees.

use std::cell::RefCell;

use fast_image_resize::Resizer;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::decode_image::{decode_count, decode_image, Picture};
use crate::invalid;
use crate::model_input::{write_tensor, Fit, InputSpec, Rgb};
use crate::thumbnail::{crop_jpeg, thumbnail, Region};

thread_local! {
    /// One resizer per thread: it keeps its scratch buffers from one image to the next.
    static RESIZER: RefCell<Resizer> = RefCell::new(Resizer::new());
}

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

/// What became of one image: why it cannot be used (the reason its sample is marked corrupt
/// with), or its thumbnail when one was asked for.
#[napi(object)]
pub struct ImageResult {
    pub error: Option<String>,
    /// JPEG, its longest side at most the size asked for.
    pub thumbnail: Option<Buffer>,
}

fn failed(reason: String) -> ImageResult {
    ImageResult { error: Some(reason), thumbnail: None }
}

fn spec_of(options: &ModelInputOptions) -> Result<InputSpec> {
    let triple = |name: &str, values: &[f64]| -> Result<[f32; 3]> {
        match values {
            [a, b, c] => Ok([*a as f32, *b as f32, *c as f32]),
            _ => Err(invalid(format!("preprocessImage: {name} needs 3 values, got {}", values.len()))),
        }
    };
    let fit = match options.resize.as_str() {
        "stretch" => Fit::Stretch,
        "crop" => Fit::Crop,
        "pad" => Fit::Pad,
        other => return Err(invalid(format!("preprocessImage: resize must be stretch, crop or pad, got {other}"))),
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

/// The thumbnail of a decoded picture: an upright JPEG that already fits is its own.
fn thumbnail_of(bytes: &[u8], picture: &Picture, size: u32) -> std::result::Result<Buffer, String> {
    if picture.upright_jpeg && picture.width.max(picture.height) <= size {
        return Ok(bytes.to_vec().into());
    }
    RESIZER.with_borrow_mut(|resizer| thumbnail(picture, size, resizer)).map(Buffer::from)
}

/// One image's input values written into `out` (a tensor slot) and, when `thumbnailSize` > 0, its
/// thumbnail, from one decode. The size is checked against `maxPixels` before decoding.
#[napi]
pub fn preprocess_image(
    bytes: Uint8Array,
    input: ModelInputOptions,
    mut out: Float32Array,
    thumbnail_size: u32,
    max_pixels: f64,
) -> Result<ImageResult> {
    let spec = spec_of(&input)?;
    let picture = match decode_image(&bytes, max_pixels as u64) {
        Ok(picture) => picture,
        Err(reason) => return Ok(failed(reason)),
    };
    let image = Rgb { pixels: &picture.pixels, width: picture.width, height: picture.height };
    // SAFETY: the slot is this call's alone: the decode pool hands each slot to one worker at a
    // time, and nothing reads it before this call returns.
    let slot = unsafe { out.as_mut() };
    if let Err(reason) = RESIZER.with_borrow_mut(|resizer| write_tensor(&image, &spec, resizer, slot)) {
        return Ok(failed(reason));
    }
    if thumbnail_size == 0 {
        return Ok(ImageResult { error: None, thumbnail: None });
    }
    Ok(match thumbnail_of(&bytes, &picture, thumbnail_size) {
        Ok(thumbnail) => ImageResult { error: None, thumbnail: Some(thumbnail) },
        Err(reason) => failed(reason),
    })
}

/// One image's thumbnail alone (for a sample not embedded yet).
#[napi]
pub fn image_thumbnail(bytes: Uint8Array, size: u32, max_pixels: f64) -> ImageResult {
    match decode_image(&bytes, max_pixels as u64).and_then(|picture| thumbnail_of(&bytes, &picture, size)) {
        Ok(thumbnail) => ImageResult { error: None, thumbnail: Some(thumbnail) },
        Err(reason) => failed(reason),
    }
}

/// One box's crop: its size in whole pixels and its pixels as a JPEG.
#[napi(object)]
pub struct Crop {
    pub width: u32,
    pub height: u32,
    pub jpeg: Buffer,
}

/// The crops of one image's boxes, from one decode; or why the image cannot be used.
#[napi(object)]
pub struct CropResult {
    pub error: Option<String>,
    /// One per box, in order: null for a box with nothing inside the picture.
    pub crops: Vec<Option<Crop>>,
}

/// Crops each box (`[x, y, width, height]` in pixels of the upright picture, fractional and
/// possibly reaching outside: clipped to the whole pixels it covers) as a JPEG of `quality`.
#[napi]
pub fn crop_image(bytes: Uint8Array, boxes: Vec<Vec<f64>>, quality: u8, max_pixels: f64) -> Result<CropResult> {
    let areas = boxes
        .iter()
        .map(|b| <[f64; 4]>::try_from(b.as_slice()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| invalid("cropImage: each box is [x, y, width, height]"))?;
    let cropped = decode_image(&bytes, max_pixels as u64).and_then(|picture| {
        areas
            .iter()
            .map(|area| match Region::covering(*area, picture.width, picture.height) {
                None => Ok(None),
                Some(region) => crop_jpeg(&picture, region, quality)
                    .map(|jpeg| Some(Crop { width: region.width, height: region.height, jpeg: jpeg.into() })),
            })
            .collect::<std::result::Result<Vec<_>, String>>()
    });
    Ok(match cropped {
        Ok(crops) => CropResult { error: None, crops },
        Err(reason) => CropResult { error: Some(reason), crops: Vec::new() },
    })
}

/// How many pictures this process has decoded (every thread): a test reads it to check that an
/// image is decoded once for its tensor and its thumbnail.
#[napi]
pub fn image_decodes() -> f64 {
    decode_count() as f64
}
