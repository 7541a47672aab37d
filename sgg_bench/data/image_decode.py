"""``sgg-bench data check --decode``: open every image file and report the ones that do not decode."""
from __future__ import annotations

import os
import sys
from typing import Sequence

from sgg_bench.errors import DataFormatError


def decode_error(path: str | os.PathLike) -> str | None:
    """None when PIL can fully decode ``path``; otherwise the reason, one line."""
    from PIL import Image
    try:
        with Image.open(path) as image:
            image.load()
            if image.width <= 0 or image.height <= 0:
                return "an image of size 0"
    except Exception as exc:  # PIL raises many types for corrupt data; all mean "does not decode"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}"
    return None


def check_images_decode(paths: Sequence[str | os.PathLike], *, listing: str, rows: Sequence[int]) -> None:
    """Decode every image; print one line per corrupt file to stderr, then raise naming the first."""
    check_image_groups([(listing, paths, rows)])


def check_image_groups(groups: Sequence[tuple[str, Sequence[str | os.PathLike], Sequence[int]]]) -> None:
    """``check_images_decode`` over several listings (e.g. an OpenImages dataset's three split files):
    every image of every listing is decoded before the one error, so all corrupt files are listed."""
    from tqdm import tqdm
    corrupt, total = [], 0
    for listing, paths, rows in groups:
        total += len(paths)
        for path, row in tqdm(list(zip(paths, rows)), desc=f"decoding images of {listing}", unit="image",
                              disable=None, leave=False):
            reason = decode_error(path)
            if reason is not None:
                corrupt.append((path, row, listing, reason))
                print(f"corrupt image: {path} ({listing} row {row}): {reason}", file=sys.stderr)
    if corrupt:
        path, row, listing, reason = corrupt[0]
        raise DataFormatError(path, "image file", f"a decodable image (row {row} of {listing})",
                              f"{reason}; {len(corrupt)} of {total} images corrupt, listed above")
