//! A decoded picture → a model's input tensor, as core/src/embed/preprocess.ts does it with sharp
//! today (issue 18 moves it here): the picture placed per the resize mode (stretched, scaled to
//! cover and centred, or scaled to fit and centred on black), resampled bilinearly with pixel
//! centres aligned (antialiased when shrinking, as PIL and torchvision), and each value written as
//! (pixel × range − mean) / std in the model's channel order and layout.
//!
//! The resampling is `fast_image_resize` (SIMD); only the crop of the source that lands in the
//! tensor is resampled.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// How a picture of another aspect ratio fills the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    Stretch,
    Crop,
    Pad,
}

/// The model's input: its size and how pixels become values (a model config's preprocessing).
#[derive(Clone, Debug)]
pub struct InputSpec {
    pub width: u32,
    pub height: u32,
    pub fit: Fit,
    /// Blue first (Caffe models) instead of red.
    pub bgr: bool,
    /// Pixels as 0–255 instead of 0–1 before mean and std.
    pub range_255: bool,
    /// In the model's channel order.
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Channels last (`nhwc`) instead of planes (`nchw`).
    pub channels_last: bool,
}

impl InputSpec {
    /// Values one tensor takes: 3 × width × height.
    pub fn len(&self) -> usize {
        3 * self.width as usize * self.height as usize
    }
}

/// Interleaved 8-bit RGB pixels.
pub struct Rgb<'a> {
    pub pixels: &'a [u8],
    pub width: u32,
    pub height: u32,
}

/// Where the picture lands: the part of the source that is kept, and the rectangle of the input
/// it is resampled onto (the rest of the input is black: pad).
#[derive(Debug, PartialEq)]
struct Placement {
    source: (f64, f64, f64, f64),
    target: (u32, u32, u32, u32),
}

fn placement(src_w: u32, src_h: u32, spec: &InputSpec) -> Placement {
    let (w, h) = (spec.width as f64, spec.height as f64);
    let (sw, sh) = (src_w as f64, src_h as f64);
    match spec.fit {
        Fit::Stretch => Placement { source: (0.0, 0.0, sw, sh), target: (0, 0, spec.width, spec.height) },
        Fit::Crop => {
            let scale = (w / sw).max(h / sh);
            let (kept_w, kept_h) = (w / scale, h / scale);
            Placement {
                source: ((sw - kept_w) / 2.0, (sh - kept_h) / 2.0, kept_w, kept_h),
                target: (0, 0, spec.width, spec.height),
            }
        }
        Fit::Pad => {
            let scale = (w / sw).min(h / sh);
            let placed_w = ((sw * scale).round() as u32).clamp(1, spec.width);
            let placed_h = ((sh * scale).round() as u32).clamp(1, spec.height);
            Placement {
                source: (0.0, 0.0, sw, sh),
                target: ((spec.width - placed_w) / 2, (spec.height - placed_h) / 2, placed_w, placed_h),
            }
        }
    }
}

/// Writes the picture's input values into `out` (a tensor slot of `spec.len()` values).
pub fn write_tensor(image: &Rgb, spec: &InputSpec, resizer: &mut Resizer, out: &mut [f32]) -> Result<(), String> {
    if out.len() != spec.len() {
        return Err(format!("the tensor slot holds {} values, the input needs {}", out.len(), spec.len()));
    }
    let source = ImageRef::new(image.width, image.height, image.pixels, PixelType::U8x3)
        .map_err(|error| format!("the pixels do not match {}×{} RGB: {error}", image.width, image.height))?;
    let place = placement(image.width, image.height, spec);
    let (left, top, kept_w, kept_h) = place.source;
    let (x0, y0, placed_w, placed_h) = place.target;
    let mut placed = Image::new(placed_w, placed_h, PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .crop(left, top, kept_w, kept_h);
    resizer.resize(&source, &mut placed, &options).map_err(|error| format!("cannot resize: {error}"))?;
    normalize(placed.buffer(), (x0, y0, placed_w, placed_h), spec, out);
    Ok(())
}

/// The placed pixels as values; outside them (pad) the value of black. Row by row, without a
/// test per value: for a 32-pixel picture enlarged to 224 this loop is as long as the resize.
fn normalize(placed: &[u8], (x0, y0, placed_w, placed_h): (u32, u32, u32, u32), spec: &InputSpec, out: &mut [f32]) {
    let (width, height) = (spec.width as usize, spec.height as usize);
    let (x0, y0, placed_w, placed_h) = (x0 as usize, y0 as usize, placed_w as usize, placed_h as usize);
    let range = if spec.range_255 { 1.0 } else { 1.0 / 255.0 };
    let order: [usize; 3] = if spec.bgr { [2, 1, 0] } else { [0, 1, 2] };
    // (pixel × range − mean) / std as one multiply-add per channel.
    let mul: [f32; 3] = std::array::from_fn(|c| range / spec.std[c]);
    let add: [f32; 3] = std::array::from_fn(|c| -spec.mean[c] / spec.std[c]);
    if spec.channels_last {
        for (c, add) in add.iter().enumerate() {
            out.iter_mut().skip(c).step_by(3).for_each(|v| *v = *add);
        }
        for py in 0..placed_h {
            let source = &placed[py * placed_w * 3..(py + 1) * placed_w * 3];
            let row = &mut out[((y0 + py) * width + x0) * 3..((y0 + py) * width + x0 + placed_w) * 3];
            for (to, from) in row.chunks_exact_mut(3).zip(source.chunks_exact(3)) {
                for c in 0..3 {
                    to[c] = from[order[c]] as f32 * mul[c] + add[c];
                }
            }
        }
        return;
    }
    let plane = width * height;
    for c in 0..3 {
        let values = &mut out[c * plane..(c + 1) * plane];
        values.fill(add[c]);
        for py in 0..placed_h {
            let source = &placed[py * placed_w * 3..(py + 1) * placed_w * 3];
            let row = &mut values[(y0 + py) * width + x0..(y0 + py) * width + x0 + placed_w];
            for (to, from) in row.iter_mut().zip(source.chunks_exact(3)) {
                *to = from[order[c]] as f32 * mul[c] + add[c];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(width: u32, height: u32, fit: Fit) -> InputSpec {
        InputSpec {
            width,
            height,
            fit,
            bgr: false,
            range_255: true,
            mean: [0.0; 3],
            std: [1.0; 3],
            channels_last: true,
        }
    }

    /// A picture whose every pixel is (value, value, value) with value = its column × 10 + row.
    fn ramp(width: u32, height: u32) -> Vec<u8> {
        (0..height).flat_map(|y| (0..width).flat_map(move |x| [(x * 10 + y) as u8; 3])).collect()
    }

    fn run(pixels: &[u8], width: u32, height: u32, spec: &InputSpec) -> Vec<f32> {
        let mut out = vec![f32::NAN; spec.len()];
        write_tensor(&Rgb { pixels, width, height }, spec, &mut Resizer::new(), &mut out).unwrap();
        out
    }

    #[test]
    fn the_same_size_copies_the_pixels_as_values() {
        let pixels = ramp(3, 2);
        let out = run(&pixels, 3, 2, &spec(3, 2, Fit::Stretch));
        assert_eq!(out, pixels.iter().map(|&p| p as f32).collect::<Vec<_>>());
    }

    #[test]
    fn pad_centres_the_picture_on_black() {
        // 4 × 2 into 4 × 4: rows 0 and 3 are black, rows 1–2 the picture.
        let out = run(&ramp(4, 2), 4, 2, &spec(4, 4, Fit::Pad));
        let row = |y: usize| out[y * 12..(y + 1) * 12].iter().step_by(3).copied().collect::<Vec<_>>();
        assert_eq!(row(0), vec![0.0; 4]);
        assert_eq!(row(1), vec![0.0, 10.0, 20.0, 30.0]);
        assert_eq!(row(2), vec![1.0, 11.0, 21.0, 31.0]);
        assert_eq!(row(3), vec![0.0; 4]);
    }

    #[test]
    fn crop_keeps_the_centre() {
        // 4 × 2 into 2 × 2: columns 1 and 2 of the picture.
        let out = run(&ramp(4, 2), 4, 2, &spec(2, 2, Fit::Crop));
        assert_eq!(out.iter().step_by(3).copied().collect::<Vec<_>>(), vec![10.0, 20.0, 11.0, 21.0]);
    }

    #[test]
    fn mean_std_range_channel_order_and_planes() {
        let pixels = [255u8, 0, 51]; // one pixel: r 255, g 0, b 51
        let spec = InputSpec {
            bgr: true,
            range_255: false,
            mean: [0.5, 0.25, 0.0],
            std: [0.5, 0.25, 2.0],
            channels_last: false,
            ..spec(1, 1, Fit::Stretch)
        };
        let out = run(&pixels, 1, 1, &spec);
        // planes in b, g, r order: (0.2 − 0.5) / 0.5, (0 − 0.25) / 0.25, (1 − 0) / 2
        let expected = [-0.6, -1.0, 0.5];
        assert!(out.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6), "{out:?}");
    }

    #[test]
    fn shrinking_averages_and_enlarging_interpolates() {
        // A 2 × 1 picture (0, 100) enlarged to 4 × 1: pixel centres aligned, edges held.
        let pixels = [0u8, 0, 0, 100, 100, 100];
        let out = run(&pixels, 2, 1, &spec(4, 1, Fit::Stretch));
        let values: Vec<f32> = out.iter().step_by(3).copied().collect();
        assert_eq!(values, vec![0.0, 25.0, 75.0, 100.0]);
        // A 4 × 1 picture (0, 0, 200, 200) shrunk to 2 × 1 averages each half.
        let pixels: Vec<u8> = [0u8, 0, 200, 200].iter().flat_map(|&v| [v; 3]).collect();
        let out = run(&pixels, 4, 1, &spec(2, 1, Fit::Stretch));
        assert!(out[0] < 50.0 && out[3] > 150.0, "{out:?}");
    }

    #[test]
    fn a_slot_of_the_wrong_size_is_refused() {
        let mut out = vec![0.0; 5];
        let error = write_tensor(&Rgb { pixels: &ramp(2, 2), width: 2, height: 2 }, &spec(2, 2, Fit::Stretch), &mut Resizer::new(), &mut out)
            .unwrap_err();
        assert_eq!(error, "the tensor slot holds 5 values, the input needs 12");
    }
}
