"""Pillow drawers for vehicles, furniture, items and the background figures (box x2/y2 exclusive)."""
from __future__ import annotations

import math

from PIL import ImageDraw

from .appearance import colour_rgb
from .layout import SceneObject

WOOD_DARK = (95, 60, 30)


def _darker(rgb, k: float = 0.6):
    return tuple(int(c * k) for c in rgb)


def draw_wheel(draw: ImageDraw.ImageDraw, box) -> None:
    x1, y1, x2, y2 = box
    draw.ellipse((x1, y1, x2 - 1, y2 - 1), fill=(20, 20, 20))
    cx, cy, r = (x1 + x2 - 1) / 2, (y1 + y2 - 1) / 2, (x2 - x1) / 2
    draw.ellipse((cx - 0.55 * r, cy - 0.55 * r, cx + 0.55 * r, cy + 0.55 * r), fill=(170, 170, 175))
    for k in range(3):
        a = k * math.pi / 3
        draw.line((cx - 0.55 * r * math.cos(a), cy - 0.55 * r * math.sin(a),
                   cx + 0.55 * r * math.cos(a), cy + 0.55 * r * math.sin(a)), fill=(60, 60, 60))


def draw_car(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("car", obj.variant)
    f = obj.facing
    draw.rounded_rectangle((x1, y1 + 0.38 * h, x2 - 1, y2 - 1 - 0.15 * h), radius=max(1, int(0.12 * h)), fill=colour)
    draw.polygon([(x1 + 0.2 * w, y1 + 0.4 * h), (x1 + 0.3 * w, y1), (x2 - 1 - 0.3 * w, y1),
                  (x2 - 1 - 0.16 * w, y1 + 0.4 * h)], fill=colour)
    glass = (175, 215, 235)
    draw.polygon([(x1 + 0.26 * w, y1 + 0.38 * h), (x1 + 0.33 * w, y1 + 0.1 * h), (x1 + 0.48 * w, y1 + 0.1 * h),
                  (x1 + 0.48 * w, y1 + 0.38 * h)], fill=glass)
    draw.polygon([(x1 + 0.52 * w, y1 + 0.38 * h), (x1 + 0.52 * w, y1 + 0.1 * h), (x2 - 1 - 0.32 * w, y1 + 0.1 * h),
                  (x2 - 1 - 0.2 * w, y1 + 0.38 * h)], fill=glass)
    light_x = x2 - 3 if f > 0 else x1 + 1
    draw.rectangle((light_x, y1 + 0.45 * h, light_x + 1, y1 + 0.55 * h), fill=(255, 240, 120))
    d = 0.4 * h
    for wx in (x1 + 0.22 * w, x1 + 0.78 * w):
        draw_wheel(draw, (wx - d / 2, y2 - d, wx + d / 2, y2))


def draw_bike(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    d = 0.64 * h
    for wx in (x1 + d / 2, x2 - d / 2):
        draw.ellipse((wx - d / 2, y2 - d, wx + d / 2, y2 - 1), outline=(20, 20, 20), width=2)
    frame = colour_rgb("bike", obj.variant)
    back, front = (x1 + d / 2, x2 - d / 2) if obj.facing > 0 else (x2 - d / 2, x1 + d / 2)
    axle_y = y2 - d / 2
    pedal = ((x1 + x2) / 2, axle_y)
    seat = ((x1 + x2) / 2 - obj.facing * 0.1 * w, y1 + 0.15 * h)
    bar = (front - obj.facing * 0.05 * w, y1 + 0.05 * h)
    draw.line((back, axle_y, pedal[0], pedal[1], seat[0], seat[1], back, axle_y), fill=frame, width=2)
    draw.line((seat[0], seat[1] + 2, bar[0], bar[1] + 2, front, axle_y), fill=frame, width=2)
    draw.line((pedal[0], pedal[1], bar[0], bar[1] + 2), fill=frame, width=2)
    draw.rectangle((seat[0] - 3, seat[1] - 1, seat[0] + 3, seat[1] + 1), fill=(20, 20, 20))
    draw.line((bar[0] - 3, bar[1], bar[0] + 3, bar[1]), fill=(20, 20, 20), width=2)


def draw_boat(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("boat", obj.variant)
    hull_top = y2 - 0.36 * h
    draw.polygon([(x1, hull_top), (x2 - 1, hull_top), (x2 - 1 - 0.12 * w, y2 - 1), (x1 + 0.12 * w, y2 - 1)],
                 fill=colour)
    draw.line((x1 + 2, hull_top + 0.3 * (y2 - hull_top), x2 - 3, hull_top + 0.3 * (y2 - hull_top)),
              fill=(30, 40, 90), width=max(1, int(0.06 * h)))
    mast_x = (x1 + x2) / 2
    draw.line((mast_x, y1, mast_x, hull_top), fill=(90, 60, 30), width=2)
    sail_dir = -obj.facing
    draw.polygon([(mast_x + sail_dir * 2, y1 + 2), (mast_x + sail_dir * 2, hull_top - 3),
                  (mast_x + sail_dir * 0.35 * w, hull_top - 3)], fill=(250, 250, 245))


def draw_building(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    colour = colour_rgb("building", obj.variant)
    draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=colour)
    line = _darker(colour, 0.8)
    for k, y in enumerate(range(y1 + 6, y2, 5)):
        draw.line((x1, y, x2 - 1, y), fill=line)
        offset = 5 if k % 2 else 0
        for x in range(x1 + offset, x2, 10):
            draw.line((x, y - 5, x, y), fill=line)
    draw.rectangle((x1, y1, x2 - 1, y1 + 3), fill=(70, 60, 60))


def draw_tree(draw: ImageDraw.ImageDraw, obj: SceneObject, rng) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2
    tw = max(2, 0.18 * w)
    draw.rectangle((cx - tw / 2, y1 + 0.4 * h, cx + tw / 2, y2 - 1), fill=(110, 70, 35))
    canopy = (x1, y1, x2 - 1, y1 + 0.45 * h)
    draw.ellipse(canopy, fill=colour_rgb("tree", obj.variant))
    for _ in range(int(w * h / 60)):
        a, rr = rng.uniform(0, 2 * math.pi), math.sqrt(rng.uniform(0, 0.8))
        px = cx + rr * math.cos(a) * w / 2
        py = y1 + 0.225 * h + rr * math.sin(a) * 0.225 * h
        draw.ellipse((px - 1, py - 1, px + 1, py + 1), fill=(20, 85, 25))


def draw_window(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=(250, 250, 250))
    draw.rectangle((x1 + 1, y1 + 1, x2 - 2, y2 - 2), fill=colour_rgb("window", obj.variant))
    draw.line(((x1 + x2) // 2, y1, (x1 + x2) // 2, y2 - 1), fill=(250, 250, 250))
    draw.line((x1, (y1 + y2) // 2, x2 - 1, (y1 + y2) // 2), fill=(250, 250, 250))


def draw_sign(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=(245, 245, 245))
    draw.rectangle((x1 + 1, y1 + 1, x2 - 2, y2 - 2), fill=colour_rgb("sign", obj.variant))
    for frac in (0.35, 0.65):
        y = y1 + frac * (y2 - y1)
        draw.line((x1 + 0.2 * (x2 - x1), y, x2 - 1 - 0.2 * (x2 - x1), y), fill=(245, 245, 245))


def draw_pole(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    colour = colour_rgb("pole", obj.variant)
    if obj.style.startswith("arm"):
        pw = max(2, int(0.04 * (y2 - y1) * 1.4))
        post_x1 = x1 if obj.style == "arm right" else x2 - pw
        draw.rectangle((post_x1, y1, post_x1 + pw - 1, y2 - 1), fill=colour)
        draw.rectangle((x1, y1, x2 - 1, y1 + max(1, pw // 2)), fill=colour)
    else:
        draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=colour)
        draw.rectangle((x1, y1, x2 - 1, y1 + 1), fill=(60, 60, 60))


def draw_table(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("table", obj.variant)
    top = y1 + max(2, 0.2 * h)
    draw.rectangle((x1, y1, x2 - 1, top), fill=colour)
    draw.line((x1 + 2, (y1 + top) / 2, x2 - 3, (y1 + top) / 2), fill=WOOD_DARK)
    lw = max(2, 0.07 * w)
    draw.rectangle((x1 + 0.06 * w, top, x1 + 0.06 * w + lw, y2 - 1), fill=WOOD_DARK)
    draw.rectangle((x2 - 1 - 0.06 * w - lw, top, x2 - 1 - 0.06 * w, y2 - 1), fill=WOOD_DARK)


def draw_chair(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("chair", obj.variant)
    seat = y1 + 0.62 * h
    back_x1 = x1 if obj.facing > 0 else x2 - 1 - 0.2 * w
    draw.rectangle((back_x1, y1, back_x1 + 0.2 * w, seat), fill=colour)
    draw.rectangle((x1, seat, x2 - 1, seat + max(2, 0.1 * h)), fill=colour)
    dark = _darker(colour)
    draw.line((x1 + 1, seat, x1 + 1, y2 - 1), fill=dark, width=2)
    draw.line((x2 - 2, seat, x2 - 2, y2 - 1), fill=dark, width=2)


def draw_bench(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("bench", obj.variant)
    seat = y1 + 0.46 * h
    for y in (y1, y1 + 0.16 * h, seat, seat + 0.1 * h):
        draw.rectangle((x1, y, x2 - 1, y + max(1, 0.08 * h)), fill=colour)
    dark = _darker(colour)
    for x in (x1 + 0.1 * w, x2 - 1 - 0.1 * w):
        draw.line((x, y1, x, y2 - 1), fill=dark, width=2)


def draw_plate(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    draw.ellipse((x1, y1, x2 - 1, y2 - 1), fill=colour_rgb("plate", obj.variant), outline=(150, 150, 155))


def draw_cup(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w = x2 - x1
    colour = colour_rgb("cup", obj.variant)
    draw.rectangle((x1, y1, x2 - 1 - 0.3 * w, y2 - 1), fill=colour, outline=(90, 90, 110))
    draw.arc((x2 - 1 - 0.45 * w, y1 + 2, x2 - 1, y2 - 3), 270, 90, fill=(90, 90, 110), width=1)
    draw.line((x1, y1, x2 - 1 - 0.3 * w, y1), fill=(40, 40, 60))


def draw_bottle(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("bottle", obj.variant)
    draw.rectangle((x1, y1 + 0.35 * h, x2 - 1, y2 - 1), fill=colour)
    draw.rectangle((x1 + 0.3 * w, y1 + 0.1 * h, x2 - 1 - 0.3 * w, y1 + 0.35 * h), fill=colour)
    draw.rectangle((x1 + 0.3 * w, y1, x2 - 1 - 0.3 * w, y1 + 0.1 * h), fill=(30, 30, 30))
    draw.rectangle((x1, y1 + 0.55 * h, x2 - 1, y1 + 0.7 * h), fill=(245, 245, 235))


def draw_bag(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("bag", obj.variant)
    draw.arc((x1 + 0.25 * w, y1, x2 - 1 - 0.25 * w, y1 + 0.7 * h), 180, 360, fill=_darker(colour), width=2)
    draw.polygon([(x1 + 0.12 * w, y1 + 0.35 * h), (x2 - 1 - 0.12 * w, y1 + 0.35 * h), (x2 - 1, y2 - 1),
                  (x1, y2 - 1)], fill=colour)
    draw.line((x1 + 0.2 * w, y1 + 0.55 * h, x2 - 1 - 0.2 * w, y1 + 0.55 * h), fill=(230, 220, 200))


def draw_umbrella(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("umbrella", obj.variant)
    canopy_h = min(0.45 * h, 0.5 * w)
    box = (x1, y1, x2 - 1, y1 + 2 * canopy_h)
    for k in range(6):
        draw.pieslice(box, 180 + 30 * k, 210 + 30 * k, fill=colour if k % 2 == 0 else (245, 245, 245))
    cx = (x1 + x2) / 2
    draw.line((cx, y1 + canopy_h, cx, y2 - 1), fill=(40, 40, 40), width=1)


def draw_kite(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("kite", obj.variant)
    cx, cy = (x1 + x2) / 2, y1 + 0.38 * h
    top, left, right, bottom = (cx, y1), (x1, cy), (x2 - 1, cy), (cx, y1 + 0.75 * h)
    draw.polygon([top, left, (cx, cy)], fill=colour)
    draw.polygon([top, right, (cx, cy)], fill=(250, 220, 40))
    draw.polygon([bottom, left, (cx, cy)], fill=(250, 220, 40))
    draw.polygon([bottom, right, (cx, cy)], fill=colour)
    draw.line((cx, bottom[1], cx - 0.15 * w, y1 + 0.87 * h, cx, y2 - 1), fill=(40, 40, 40))


def draw_pizza(draw: ImageDraw.ImageDraw, obj: SceneObject, rng) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    draw.ellipse((x1, y1, x2 - 1, y2 - 1), fill=colour_rgb("pizza", obj.variant), outline=(170, 100, 30))
    for _ in range(4):
        px, py = x1 + rng.uniform(0.2, 0.8) * w, y1 + rng.uniform(0.3, 0.7) * h
        draw.ellipse((px - 1, py - 1, px + 1, py + 1), fill=(190, 30, 25))


def draw_street(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=colour_rgb("street", obj.variant))
    draw.line((x1, y1, x2 - 1, y1), fill=(200, 200, 200), width=2)
    mid = (y1 + y2) / 2
    for x in range(x1 + 3, x2, 16):
        draw.line((x, mid, x + 8, mid), fill=(245, 245, 245), width=2)
