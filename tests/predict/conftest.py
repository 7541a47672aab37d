"""One tiny synthetic dataset, a tiny detector and two relation runs on it (frequency in SGDet,
Motifs 3 steps in PredCls), built once per session; and the images of every kind predict reads."""
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runs"))
from run_helpers import FAST  # noqa: E402

from sgg_bench.cli import main  # noqa: E402


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory):
    from sgg_bench.data.synthetic import generate_synthetic

    out = tmp_path_factory.mktemp("predict-synth") / "data"
    generate_synthetic(out, size="tiny", seed=0, progress=False, workers=1)
    return out / "vg"


@pytest.fixture(scope="session")
def outputs(tmp_path_factory, synth_root):
    """Output root holding detector-tiny, frequency-sgdet and motifs-predcls runs."""
    root = tmp_path_factory.mktemp("predict-outputs")
    common = ["--dataset", "synth", "--output-root", str(root), f"dataset.root={synth_root}", *FAST,
              "dataset.num_val_im=null"]
    assert main(["train", "--model", "detector", *common]) == 0
    weights = f"detector.weights={root / 'synth' / 'detector-tiny' / 'checkpoints' / 'model_final.pth'}"
    assert main(["train", "--model", "frequency", "--mode", "sgdet", *common, weights]) == 0
    assert main(["train", "--model", "motifs", "--mode", "predcls", *common, weights]) == 0
    return root


@pytest.fixture(scope="session")
def frequency_run(outputs):
    return outputs / "synth" / "frequency-sgdet"


@pytest.fixture(scope="session")
def motifs_run(outputs):
    return outputs / "synth" / "motifs-predcls"


@pytest.fixture(scope="session")
def test_images(synth_root):
    """The tiny dataset's test images (path, ground truth), in split order."""
    from sgg_bench.data import open_dataset

    dataset = open_dataset(synth_root, "test")
    return [(Path(dataset[i].image_path), dataset.image_ground_truth(i)) for i in range(len(dataset))]


def _exif_rotated_jpeg(path: Path, pixels: np.ndarray) -> None:
    """Stored as ``pixels`` with EXIF orientation 6: viewers rotate it 90 degrees clockwise."""
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(path, format="JPEG", quality=95, exif=exif.tobytes())


@pytest.fixture(scope="session")
def image_kinds(tmp_path_factory, test_images):
    """Every listed kind of input, drawn from one synthetic test image: {file name with _: path}.

    corrupt_jpg is a JPEG's first 200 bytes then random ones; large_jpg the image enlarged 20x
    (3840 x 2880); one_pixel_png is 1 x 1; exif_rotated_jpg carries EXIF orientation 6."""
    folder = tmp_path_factory.mktemp("kinds")
    base = Image.open(test_images[0][0]).convert("RGB")
    rgb = np.asarray(base)
    kinds = {}

    def save(name, image, **options):
        kinds[name.replace(".", "_")] = folder / name
        image.save(folder / name, **options)

    save("jpeg.jpg", base, quality=95)
    save("png.png", base)
    save("webp.webp", base, quality=95)
    save("bmp.bmp", base)
    save("tiff.tiff", base)
    save("gray.png", base.convert("L"))
    save("gray_jpeg.jpg", base.convert("L"), quality=95)
    rgba = base.convert("RGBA")
    rgba.putalpha(Image.fromarray(np.full(rgb.shape[:2], 200, np.uint8)))
    save("rgba.png", rgba)
    save("palette.png", base.convert("P", palette=Image.ADAPTIVE, colors=64))
    sixteen = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
    save("gray16.png", sixteen)
    save("gray16.tiff", sixteen)
    save("cmyk.jpg", base.convert("CMYK"), quality=95)
    save("cmyk.tiff", base.convert("CMYK"))
    save("one_pixel.png", Image.new("RGB", (1, 1), (120, 30, 200)))
    save("large.jpg", base.resize((rgb.shape[1] * 20, rgb.shape[0] * 20), Image.NEAREST), quality=92)
    kinds["exif_rotated_jpg"] = folder / "exif_rotated.jpg"
    _exif_rotated_jpeg(kinds["exif_rotated_jpg"], np.ascontiguousarray(np.rot90(rgb, k=1)))  # displayed upright
    data = (folder / "jpeg.jpg").read_bytes()
    kinds["corrupt_jpg"] = folder / "corrupt.jpg"
    kinds["corrupt_jpg"].write_bytes(data[:200] + bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8)))
    return kinds
