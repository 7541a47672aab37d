"""Reading every listed kind of image as the 8-bit RGB picture a viewer shows."""
import numpy as np
import pytest
from PIL import Image

from sgg_bench.predict.images import ImageReadError, detector_scale, model_input, read_image


def _reference(image_kinds):
    return np.asarray(Image.open(image_kinds["png_png"]).convert("RGB")).astype(np.int32)


@pytest.mark.parametrize("kind, tolerance", [("jpeg_jpg", 12), ("png_png", 0), ("webp_webp", 16), ("bmp_bmp", 0),
                                             ("tiff_tiff", 0), ("palette_png", 40), ("cmyk_jpg", 16),
                                             ("cmyk_tiff", 16), ("exif_rotated_jpg", 12)])
def test_colour_kinds_match_the_picture(image_kinds, kind, tolerance):
    reference = _reference(image_kinds)
    image = read_image(image_kinds[kind])
    assert image.pixels.dtype == np.uint8 and image.pixels.shape == reference.shape
    assert np.abs(image.pixels.astype(np.int32) - reference).mean() <= tolerance


@pytest.mark.parametrize("kind", ["gray_png", "gray_jpeg_jpg", "gray16_png", "gray16_tiff"])
def test_gray_kinds_are_gray_rgb_at_8_bits(image_kinds, kind):
    path = image_kinds[kind]
    gray = np.asarray(Image.open(image_kinds["png_png"]).convert("L")).astype(np.int32)
    image = read_image(path)
    assert image.pixels.shape == gray.shape + (3,)
    assert (image.pixels[:, :, 0] == image.pixels[:, :, 2]).all()
    # 16-bit values v * 257 come back as exactly v
    assert np.abs(image.pixels[:, :, 0].astype(np.int32) - gray).mean() <= (0 if "16" in kind else 12)


def test_rgba_is_composited_on_white(image_kinds):
    reference = _reference(image_kinds)
    expected = np.rint(reference * (200 / 255) + 255 * (55 / 255))
    assert np.abs(read_image(image_kinds["rgba_png"]).pixels - expected).max() <= 1


def test_exif_orientation_is_applied(image_kinds):
    stored = Image.open(image_kinds["exif_rotated_jpg"])
    reference = _reference(image_kinds)
    assert stored.size == (reference.shape[0], reference.shape[1])   # stored rotated: W and H swapped
    image = read_image(image_kinds["exif_rotated_jpg"])
    assert (image.width, image.height) == (reference.shape[1], reference.shape[0])


def test_corrupt_and_missing_files_raise_one_line(image_kinds, tmp_path):
    with pytest.raises(ImageReadError) as info:
        read_image(image_kinds["corrupt_jpg"])
    assert str(image_kinds["corrupt_jpg"]) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(tmp_path / "missing.jpg")


def test_arrays_and_pil_images(image_kinds):
    reference = _reference(image_kinds).astype(np.uint8)
    assert (read_image(reference).pixels == reference).all()
    assert (read_image(reference.astype(np.float32) / 255.0).pixels == reference).all()
    assert (read_image(reference.astype(np.uint16) * 257).pixels == reference).all()
    gray = reference[:, :, 0]
    assert (read_image(gray).pixels == np.repeat(gray[:, :, None], 3, axis=2)).all()
    assert (read_image(Image.fromarray(reference)).pixels == reference).all()
    with pytest.raises(ImageReadError, match="shape"):
        read_image(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ImageReadError, match="finite"):
        read_image(np.full((4, 4), np.nan))


def test_large_images_are_shrunk_to_the_detector_size(image_kinds):
    large = read_image(image_kinds["large_jpg"])
    assert (large.width, large.height) == (3840, 2880)
    pixels, (fx, fy) = model_input(large, min_size=144, max_size=192)
    assert pixels.shape == (144, 192, 3) and fx == pytest.approx(0.05) and fy == pytest.approx(0.05)
    small = read_image(image_kinds["one_pixel_png"])
    pixels, factors = model_input(small, min_size=144, max_size=192)
    assert pixels.shape == (1, 1, 3) and factors == (1.0, 1.0)            # the detector enlarges it itself
    assert detector_scale(1, 1, min_size=144, max_size=192) == 144.0
