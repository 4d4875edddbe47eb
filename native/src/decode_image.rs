//! Encoded image bytes → upright 8-bit RGB pixels, whatever the format: JPEG through zune-jpeg
//! (decode_jpeg.rs), PNG, GIF (its first frame), TIFF (its first page), BMP and WebP through the
//! `image` crate, and YCbCr TIFF, which it refuses, through the `tiff` crate (decode_tiff.rs).
//! The EXIF orientation is applied, alpha is dropped (as Pillow's `convert("RGB")` and sharp's
//! `removeAlpha`), 16-bit samples become 8-bit, and grey and palette pictures become
//! RGB. Embedded ICC profiles are not applied, as Pillow does not apply them: the pixels are the
//! ones a PIL/torchvision training pipeline saw.
//!
//! Every decoder reads the size from the header first, and the picture is refused when it claims
//! more than the pixel limit, before any decoder allocates for it (issue 14's rule).

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

use crate::decode_jpeg::decode_jpeg;
use crate::decode_tiff::{decode_ycbcr_tiff, is_ycbcr_tiff};

/// An upright picture: interleaved RGB, `width × height × 3` bytes.
pub struct Picture {
    pub pixels: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The file is a JPEG stored upright, so it can stand for a thumbnail of its own size.
    pub upright_jpeg: bool,
}

/// Pictures decoded by this process, counted so a test can check that an image is decoded once.
static DECODES: AtomicU64 = AtomicU64::new(0);

/// How many pictures this process has decoded so far.
pub fn decode_count() -> u64 {
    DECODES.load(Ordering::Relaxed)
}

pub fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8, 0xff])
}

/// The picture in `bytes`, upright; the error is the reason its sample is marked corrupt with.
pub fn decode_image(bytes: &[u8], max_pixels: u64) -> Result<Picture, String> {
    DECODES.fetch_add(1, Ordering::Relaxed);
    if is_jpeg(bytes) {
        let decoded = decode_jpeg(bytes, max_pixels)?;
        let upright_jpeg = decoded.orientation == 1;
        let stored = RgbImage::from_raw(decoded.width, decoded.height, decoded.pixels)
            .ok_or("cannot decode: the decoder returned fewer pixels than the header claims")?;
        let orientation = Orientation::from_exif(decoded.orientation as u8).unwrap_or(Orientation::NoTransforms);
        return Ok(Picture { upright_jpeg, ..upright(DynamicImage::ImageRgb8(stored), orientation) });
    }
    if is_ycbcr_tiff(bytes) {
        let (pixels, width, height, orientation) = decode_ycbcr_tiff(bytes, max_pixels)?;
        let stored = RgbImage::from_raw(width, height, pixels).ok_or("cannot decode: the TIFF's samples do not fill its size")?;
        return Ok(upright(DynamicImage::ImageRgb8(stored), orientation));
    }
    decode_other(bytes, max_pixels)
}

fn decode_other(bytes: &[u8], max_pixels: u64) -> Result<Picture, String> {
    let cannot = |error: &dyn std::fmt::Display| format!("cannot decode: {error}");
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| cannot(&e))?;
    if reader.format().is_none() {
        return Err("cannot decode: not a PNG, JPEG, GIF, TIFF, BMP or WebP file".into());
    }
    let mut limits = Limits::default();
    // The decoded picture at 16-bit RGBA, and as much again for the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(16));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| cannot(&e))?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, max_pixels)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(|e| cannot(&e))?;
    Ok(upright(image, orientation))
}

/// Why a picture of `width × height` is not decoded: no pixels, or more than the limit.
pub fn check_size(width: u32, height: u32, max_pixels: u64) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err(format!("corrupt: a size of {width}×{height}"));
    }
    if width as u64 * height as u64 > max_pixels {
        return Err(format!("too_large: {width}×{height} is over the limit of {max_pixels} pixels (WINNOW_MAX_PIXELS)"));
    }
    Ok(())
}

fn upright(mut image: DynamicImage, orientation: Orientation) -> Picture {
    image.apply_orientation(orientation);
    let rgb = match image {
        DynamicImage::ImageRgb8(rgb) => rgb, // no copy for the common case
        other => other.into_rgb8(),
    };
    let (width, height) = rgb.dimensions();
    Picture { pixels: rgb.into_raw(), width, height, upright_jpeg: false }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgba, RgbaImage};

    /// A 3 × 2 picture: red, green, blue over white, black, grey; half transparent.
    fn tiny() -> RgbaImage {
        let colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [128, 128, 128]];
        RgbaImage::from_fn(3, 2, |x, y| {
            let [r, g, b] = colours[(y * 3 + x) as usize];
            Rgba([r, g, b, 128])
        })
    }

    fn encoded(format: ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        let picture = DynamicImage::ImageRgba8(tiny());
        let picture = if format == ImageFormat::Png || format == ImageFormat::Tiff || format == ImageFormat::WebP {
            picture
        } else {
            DynamicImage::ImageRgb8(picture.to_rgb8())
        };
        picture.write_to(&mut bytes, format).unwrap();
        bytes.into_inner()
    }

    #[test]
    fn lossless_formats_decode_to_the_same_rgb_with_alpha_dropped() {
        let expected = DynamicImage::ImageRgba8(tiny()).to_rgb8().into_raw();
        for format in [ImageFormat::Png, ImageFormat::Bmp, ImageFormat::Tiff, ImageFormat::WebP] {
            let picture = decode_image(&encoded(format), 1_000).unwrap();
            assert_eq!((picture.width, picture.height), (3, 2), "{format:?}");
            assert_eq!(picture.pixels, expected, "{format:?}");
            assert!(!picture.upright_jpeg);
        }
        // GIF quantises to a palette; these six colours are in it exactly.
        let gif = decode_image(&encoded(ImageFormat::Gif), 1_000).unwrap();
        assert_eq!(gif.pixels, expected);
    }

    #[test]
    fn every_format_is_refused_over_the_limit_before_decoding() {
        for format in [ImageFormat::Png, ImageFormat::Bmp, ImageFormat::Tiff, ImageFormat::WebP, ImageFormat::Gif] {
            let error = decode_image(&encoded(format), 5).err().unwrap();
            assert!(error.starts_with("too_large: 3×2"), "{format:?}: {error}");
        }
    }

    #[test]
    fn an_unknown_or_broken_file_is_an_error() {
        assert!(decode_image(b"plain text, not a picture", 1_000).err().unwrap().starts_with("cannot decode"));
        let mut png = encoded(ImageFormat::Png);
        let end = png.len() - 20;
        png[40..end].fill(0);
        assert!(decode_image(&png, 1_000).err().unwrap().starts_with("cannot decode"));
    }

    #[test]
    fn a_rotated_jpeg_comes_out_upright() {
        // A 16 × 1 grey JPEG (left half dark, right half light) tagged Orientation 6: shown turned a quarter clockwise.
        let mut jpeg = Vec::new();
        let pixels = [[20u8; 8], [230u8; 8]].concat();
        let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 100);
        encoder.add_app_segment(1, &crate::decode_jpeg::tests::exif_with_orientation(true, 6)).unwrap();
        encoder.encode(&pixels, 16, 1, jpeg_encoder::ColorType::Luma).unwrap();
        let picture = decode_image(&jpeg, 1_000).unwrap();
        assert_eq!((picture.width, picture.height), (1, 16));
        assert!(!picture.upright_jpeg);
        let top = picture.pixels[0];
        let bottom = picture.pixels[15 * 3];
        assert!(top < 60 && bottom > 190, "top {top}, bottom {bottom}");
    }

    #[test]
    fn counts_each_decode() {
        let before = decode_count();
        decode_image(&encoded(ImageFormat::Png), 1_000).unwrap();
        assert!(decode_count() > before);
    }
}
