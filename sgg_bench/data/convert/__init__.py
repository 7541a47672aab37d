"""Converters from other scene-graph dataset layouts (docs/CUSTOM_DATA.md).

    vg-json        -> vg150        raw Visual Genome json (convert.vg_json)
    coco-rel       -> vg150        COCO json per split + rel.json, RelTR's layout (convert.coco_rel)
    vg150          -> coco-rel     the reverse (convert.coco_rel)
    openimages-csv -> openimages   OpenImages V6 CSVs -> BGNN/PySGG json (convert.openimages_csv)

Every converter validates as it reads (DataFormatError naming file, row and field), writes each
output file atomically, and returns a ``ConversionReport`` of what it kept and dropped.
"""
from __future__ import annotations

from pathlib import Path

from sgg_bench.errors import ConfigError

DEFAULT_TARGET = {"vg-json": "vg150", "coco-rel": "vg150", "openimages-csv": "openimages", "vg150": "coco-rel"}


def run_conversion(source: str, src: str | Path, out: str | Path, *, target: str | None = None,
                   vocab: str | Path | None = None, num_objects: int = 150, num_predicates: int = 50,
                   min_box_area_frac: float = 0.002, num_val_im: int | None = None, images_mode: str = "link"):
    target = target or DEFAULT_TARGET.get(source)
    if (source, target) not in {(s, t) for s, t in DEFAULT_TARGET.items()}:
        raise ConfigError(f"no converter from {source!r} to {target!r}; available: "
                          + ", ".join(f"{s} -> {t}" for s, t in DEFAULT_TARGET.items()))
    if not Path(src).is_dir():
        raise ConfigError(f"source folder {src} does not exist")
    if Path(out).resolve() == Path(src).resolve():
        raise ConfigError("--out must differ from the source folder")
    if source == "vg-json":
        from sgg_bench.data.convert.vg_json import convert_vg_json
        return convert_vg_json(src, out, vocab=vocab, num_objects=num_objects, num_predicates=num_predicates,
                               min_box_area_frac=min_box_area_frac, num_val_im=num_val_im, images_mode=images_mode)
    if source == "coco-rel":
        from sgg_bench.data.convert.coco_rel import convert_coco_rel_to_vg
        return convert_coco_rel_to_vg(src, out, vocab=vocab, num_val_im=num_val_im, images_mode=images_mode)
    if source == "vg150":
        from sgg_bench.data.convert.coco_rel import convert_vg_to_coco_rel
        return convert_vg_to_coco_rel(src, out, images_mode=images_mode)
    from sgg_bench.data.convert.openimages_csv import convert_openimages_csv
    return convert_openimages_csv(src, out, vocab=vocab, images_mode=images_mode)
