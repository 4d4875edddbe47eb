//! JPEGs made from a decoded picture: its thumbnail (shrunk to fit, never enlarged) and the
//! crops of its boxes (detection labels embedded one by one), encoded with `jpeg-encoder`.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::decode_image::Picture;

/// The picture shrunk to fit `size` × `size` (bilinear, antialiased; never enlarged), as a JPEG
/// of quality 80.
pub fn thumbnail(picture: &Picture, size: u32, resizer: &mut Resizer) -> Result<Vec<u8>, String> {
    let scale = (size as f64 / picture.width.max(picture.height) as f64).min(1.0);
    let w = ((picture.width as f64 * scale).round() as u32).max(1);
    let h = ((picture.height as f64 * scale).round() as u32).max(1);
    if (w, h) == (picture.width, picture.height) {
        return encode(&picture.pixels, w, h, 80);
    }
    let source = ImageRef::new(picture.width, picture.height, &picture.pixels, PixelType::U8x3)
        .map_err(|error| format!("thumbnail: {error}"))?;
    let mut small = Image::new(w, h, PixelType::U8x3);
    resizer
        .resize(&source, &mut small, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)))
        .map_err(|error| format!("thumbnail: {error}"))?;
    encode(small.buffer(), w, h, 80)
}

/// A box of the picture in whole pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

impl Region {
    /// The whole pixels a box `[x, y, w, h]` (fractional, possibly reaching outside) covers in a
    /// `width × height` picture; None when nothing of it is inside.
    pub fn covering(area: [f64; 4], width: u32, height: u32) -> Option<Region> {
        if !area.iter().all(|v| v.is_finite()) {
            return None;
        }
        let [x, y, w, h] = area;
        let left = x.floor().max(0.0);
        let top = y.floor().max(0.0);
        let right = (x + w).ceil().min(width as f64);
        let bottom = (y + h).ceil().min(height as f64);
        if right - left < 1.0 || bottom - top < 1.0 {
            return None;
        }
        Some(Region { left: left as u32, top: top as u32, width: (right - left) as u32, height: (bottom - top) as u32 })
    }
}

/// The region of the picture as a JPEG of `quality`.
pub fn crop_jpeg(picture: &Picture, region: Region, quality: u8) -> Result<Vec<u8>, String> {
    let Region { left, top, width, height } = region;
    if width == 0 || height == 0 || left + width > picture.width || top + height > picture.height {
        return Err(format!(
            "crop: {width}×{height} at ({left}, {top}) is not inside the {}×{} picture",
            picture.width, picture.height
        ));
    }
    let row = picture.width as usize * 3;
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in top..top + height {
        let start = y as usize * row + left as usize * 3;
        pixels.extend_from_slice(&picture.pixels[start..start + width as usize * 3]);
    }
    encode(&pixels, width, height, quality)
}

fn encode(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, String> {
    let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
        return Err(format!("a JPEG holds at most 65535 pixels a side, not {width}×{height}"));
    };
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, quality)
        .encode(rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|error| format!("cannot encode the JPEG: {error}"))?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_image::decode_image;

    fn grey_ramp(width: u32, height: u32) -> Picture {
        let pixels = (0..width * height).flat_map(|i| [(i % width * 255 / width) as u8; 3]).collect();
        Picture { pixels, width, height, upright_jpeg: false }
    }

    #[test]
    fn a_thumbnail_fits_the_size_and_keeps_the_aspect() {
        let jpeg = thumbnail(&grey_ramp(640, 480), 256, &mut Resizer::new()).unwrap();
        let back = decode_image(&jpeg, 1_000_000).unwrap();
        assert_eq!((back.width, back.height), (256, 192));
        // A small picture is never enlarged.
        let jpeg = thumbnail(&grey_ramp(32, 20), 256, &mut Resizer::new()).unwrap();
        assert_eq!(decode_image(&jpeg, 1_000_000).map(|p| (p.width, p.height)), Ok((32, 20)));
    }

    #[test]
    fn a_box_covers_the_whole_pixels_it_touches_inside_the_picture() {
        assert_eq!(Region::covering([10.5, 2.2, 5.0, 3.0], 100, 50), Some(Region { left: 10, top: 2, width: 6, height: 4 }));
        assert_eq!(Region::covering([-5.0, 45.0, 20.0, 20.0], 100, 50), Some(Region { left: 0, top: 45, width: 15, height: 5 }));
        assert_eq!(Region::covering([120.0, 0.0, 5.0, 5.0], 100, 50), None);
        assert_eq!(Region::covering([1.0, 1.0, f64::NAN, 5.0], 100, 50), None);
    }

    #[test]
    fn a_crop_holds_its_region() {
        let picture = grey_ramp(200, 100);
        let jpeg = crop_jpeg(&picture, Region { left: 150, top: 10, width: 50, height: 30 }, 95).unwrap();
        let back = decode_image(&jpeg, 1_000_000).unwrap();
        assert_eq!((back.width, back.height), (50, 30));
        // The ramp's right quarter: 150/200 × 255 ≈ 191 at its left edge.
        assert!((185..=197).contains(&back.pixels[0]), "{}", back.pixels[0]);
        assert!(crop_jpeg(&picture, Region { left: 190, top: 0, width: 20, height: 10 }, 95).is_err());
    }
}
