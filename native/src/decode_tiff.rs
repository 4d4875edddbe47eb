//! TIFFs stored as YCbCr: what libtiff, sharp and many scanners write for JPEG-compressed TIFF.
//! The `image` crate refuses them ("Unhandled TIFF color type YCbCr"); the `tiff` crate beneath
//! it reads their samples (the JPEG strips upsampled by zune-jpeg), and they are turned to RGB
//! here with the TIFF defaults: BT.601 coefficients, full range (ReferenceBlackWhite 0–255).

use std::io::Cursor;

use image::metadata::Orientation;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;
use tiff::ColorType;

use crate::decode_image::check_size;

/// Whether the bytes are a TIFF whose first page is 8-bit YCbCr.
pub fn is_ycbcr_tiff(bytes: &[u8]) -> bool {
    (bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*"))
        && Decoder::new(Cursor::new(bytes)).and_then(|mut d| d.colortype()).is_ok_and(|c| c == ColorType::YCbCr(8))
}

/// The first page as stored (not yet upright) in RGB, and its orientation.
pub fn decode_ycbcr_tiff(bytes: &[u8], max_pixels: u64) -> Result<(Vec<u8>, u32, u32, Orientation), String> {
    let cannot = |error: tiff::TiffError| format!("cannot decode: {error}");
    let mut limits = Limits::default();
    limits.decoding_buffer_size = usize::try_from(max_pixels.saturating_mul(3)).unwrap_or(usize::MAX);
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(cannot)?.with_limits(limits);
    let (width, height) = decoder.dimensions().map_err(cannot)?;
    check_size(width, height, max_pixels)?;
    let orientation = decoder
        .find_tag_unsigned::<u8>(Tag::Orientation)
        .ok()
        .flatten()
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    let DecodingResult::U8(mut samples) = decoder.read_image().map_err(cannot)? else {
        return Err("cannot decode: the YCbCr TIFF does not hold 8-bit samples".into());
    };
    if samples.len() < width as usize * height as usize * 3 {
        return Err("cannot decode: the TIFF holds fewer samples than its size needs".into());
    }
    samples.truncate(width as usize * height as usize * 3);
    for pixel in samples.chunks_exact_mut(3) {
        pixel.copy_from_slice(&rgb_of(pixel[0], pixel[1], pixel[2]));
    }
    Ok((samples, width, height, orientation))
}

/// BT.601 full-range YCbCr → RGB, as JFIF and libjpeg define it.
fn rgb_of(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (y as f32, cb as f32 - 128.0, cr as f32 - 128.0);
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [clamp(y + 1.402 * cr), clamp(y - 0.344_136 * cb - 0.714_136 * cr), clamp(y + 1.772 * cb)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ycbcr_turns_to_rgb() {
        assert_eq!(rgb_of(128, 128, 128), [128, 128, 128]);
        assert_eq!(rgb_of(76, 85, 255), [254, 0, 0]); // red in JFIF YCbCr
        assert_eq!(rgb_of(29, 255, 107), [0, 0, 254]); // blue
    }

    #[test]
    fn a_ycbcr_tiff_decodes_to_rgb() {
        let mut bytes = Cursor::new(Vec::new());
        let mut encoder = tiff::encoder::TiffEncoder::new(&mut bytes).unwrap();
        // 2 × 1: red and blue, in YCbCr.
        encoder.write_image::<tiff::encoder::colortype::YCbCr8>(2, 1, &[76, 85, 255, 29, 255, 107]).unwrap();
        let bytes = bytes.into_inner();
        assert!(is_ycbcr_tiff(&bytes));
        let (rgb, width, height, _) = decode_ycbcr_tiff(&bytes, 100).unwrap();
        assert_eq!((width, height), (2, 1));
        assert_eq!(rgb, [254, 0, 0, 0, 0, 254]);
        assert!(decode_ycbcr_tiff(&bytes, 1).err().unwrap().starts_with("too_large"));
    }
}
