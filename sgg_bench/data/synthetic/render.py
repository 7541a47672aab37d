"""Turn a sampled ``Scene`` into pixels: background bands, then objects and connector lines by depth.

Rendering is a pure function of the scene (its ``render_seed`` drives texture speckles),
and JPEG bytes are written with a fixed quality and no metadata, so the same scene
always gives the same file.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from . import draw_living as living
from . import draw_things as things
from .layout import Scene

JPEG_QUALITY = 90
GROUND_COLOURS = {"grass": (88, 150, 64), "sand": (220, 200, 150), "pavement": (172, 170, 165)}


def _background(scene: Scene, rng: np.random.Generator) -> Image.Image:
    w, h = scene.width, scene.height
    pixels = np.empty((h, w, 3), dtype=np.float32)
    sky_top = np.array([100, 150, 225], dtype=np.float32) + rng.uniform(-15, 15, 3)
    sky_low = np.array([195, 218, 240], dtype=np.float32)
    t = np.linspace(0.0, 1.0, max(1, scene.horizon), dtype=np.float32)[:, None]
    pixels[:scene.horizon] = (sky_top * (1 - t) + sky_low * t)[:, None, :]
    ground = np.array(GROUND_COLOURS[scene.ground], dtype=np.float32) + rng.uniform(-10, 10, 3)
    pixels[scene.horizon:] = ground
    noise = rng.normal(0, 6, size=(h - scene.horizon, w, 1)).astype(np.float32)
    pixels[scene.horizon:] += noise
    if scene.water_top is not None:
        pixels[scene.water_top:scene.water_bottom] = np.array([50, 110, 190], dtype=np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    if scene.water_top is not None:
        for y in range(scene.water_top + 3, scene.water_bottom, 5):
            for x in range(int(rng.integers(0, 8)), w, 14):
                draw.line((x, y, x + 5, y), fill=(120, 170, 225))
    if scene.ground == "pavement":
        for y in range(scene.horizon + 6, h, 9):
            draw.line((0, y, w - 1, y), fill=(150, 148, 144))
    return image


def render_scene(scene: Scene) -> Image.Image:
    """RGB image of size (scene.width, scene.height)."""
    rng = np.random.default_rng(scene.render_seed)
    image = _background(scene, rng)
    draw = ImageDraw.Draw(image)
    holders = {i for i, o in enumerate(scene.objects) if "holding" in o.style}
    items = [(o.z, 0, k) for k, o in enumerate(scene.objects)] + [(c.z, 1, k) for k, c in enumerate(scene.connectors)]
    for _, kind, k in sorted(items):
        if kind == 1:
            c = scene.connectors[k]
            draw.line((c.start, c.end), fill=c.colour, width=c.width)
            continue
        obj = scene.objects[k]
        label = obj.label
        if label in ("man", "woman"):
            living.draw_person(draw, obj, holding=k in holders)
        elif label == "shirt":
            living.draw_shirt(draw, obj)
        elif label == "hat":
            living.draw_hat(draw, obj)
        elif label == "dog":
            living.draw_dog(draw, obj)
        elif label == "horse":
            living.draw_horse(draw, obj)
        elif label == "bird":
            living.draw_bird(draw, obj)
        elif label == "wheel":
            things.draw_wheel(draw, obj.box)
        elif label in ("tree", "pizza"):
            getattr(things, f"draw_{label}")(draw, obj, rng)
        else:
            getattr(things, f"draw_{label}")(draw, obj)
    return image


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False, subsampling=0)
    return buffer.getvalue()


def render_jpeg(scene: Scene) -> bytes:
    return jpeg_bytes(render_scene(scene))
