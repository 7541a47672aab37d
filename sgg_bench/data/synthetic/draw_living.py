"""Pillow drawers for people, clothes and animals. Each fills its object's box (x2/y2 exclusive).

Shapes and colours are described in appearance.py; body geometry of people comes from
figures.py so that worn shirts and hats land exactly on their annotated boxes.
"""
from __future__ import annotations

from PIL import ImageDraw

from .appearance import colour_rgb
from .figures import person_parts
from .layout import SceneObject

SKIN = (232, 184, 146)
HAIR_DARK = (60, 40, 25)
HAIR_BLOND = (238, 205, 95)
JACKET = (95, 95, 105)


def _circle(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill) -> None:
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)


def draw_person(draw: ImageDraw.ImageDraw, obj: SceneObject, holding: bool) -> None:
    x1, y1, x2, y2 = obj.box
    woman = obj.label == "woman"
    hat = "hat" in obj.style
    parts = person_parts(obj.box, obj.pose, obj.facing, hat)
    legs = colour_rgb("man", obj.variant) if not woman else SKIN
    hx, hy, r = parts.head
    tx1, ty1, tx2, ty2 = parts.torso
    lw = max(1, int((x2 - x1) * 0.12)) if obj.pose != "lie" else max(1, int((y2 - y1) * 0.3))
    if obj.pose in ("stand", "walk"):
        mid = (x1 + x2) / 2
        if obj.pose == "stand":
            draw.rectangle((tx1 + 1, parts.hip_y, mid - 1, y2 - 1), fill=legs)
            draw.rectangle((mid, parts.hip_y, tx2 - 1, y2 - 1), fill=legs)
        else:
            draw.line((mid, parts.hip_y, x1 + 1, y2 - 1), fill=legs, width=lw + 1)
            draw.line((mid, parts.hip_y, x2 - 2, y2 - 1), fill=legs, width=lw + 1)
    elif obj.pose in ("sit", "ride"):
        knee_x = (x2 - 2) if obj.facing > 0 else x1 + 1
        if obj.pose == "ride":
            knee_x = (tx1 + tx2) / 2 + obj.facing * (tx2 - tx1) * 0.6
        draw.line((tx1 + (tx2 - tx1) / 2, ty2 - 1, knee_x, ty2 - 1), fill=legs, width=lw + 1)
        draw.line((knee_x, ty2 - 1, knee_x, y2 - 1), fill=legs, width=lw + 1)
    elif obj.pose == "lie":
        leg_end = x1 if obj.facing > 0 else x2 - 1
        leg_start = tx1 if obj.facing > 0 else tx2
        draw.rectangle((min(leg_start, leg_end), ty1 + 1, max(leg_start, leg_end), y2 - 1), fill=legs)
    if woman:  # long hair falls behind the head to the shoulders
        draw.rectangle((hx - r, hy, hx + r, hy + 1.6 * r), fill=HAIR_BLOND)
    if woman and obj.pose in ("stand", "walk", "sit", "ride"):
        skirt = (tx1 - 2, ty1, tx2 + 1, min(y2 - 2, ty2 + (ty2 - ty1) * 0.35))
        draw.polygon([(tx1 + 1, ty1), (tx2 - 2, ty1), (skirt[2], skirt[3]), (skirt[0], skirt[3])],
                     fill=colour_rgb("woman", obj.variant))
    else:
        draw.rectangle((tx1, ty1, tx2 - 1, ty2 - 1), fill=JACKET if not woman else colour_rgb("woman", obj.variant))
    if not holding and obj.pose in ("stand", "walk"):
        draw.line((tx2, ty1 + 1, tx2 + 1, ty2 - 1), fill=SKIN, width=max(1, lw - 1))
        draw.line((tx1 - 1, ty1 + 1, tx1 - 2, ty2 - 1), fill=SKIN, width=max(1, lw - 1))
    _circle(draw, hx, hy, r, SKIN)
    if woman:
        draw.chord((hx - r, hy - r, hx + r, hy + r), 180, 360, fill=HAIR_BLOND)
    else:
        draw.chord((hx - r, hy - r, hx + r, hy + 0.2 * r), 180, 360, fill=HAIR_DARK)
    eye_x = hx + obj.facing * r * 0.5
    draw.point((eye_x, hy + 0.1 * r), fill=(20, 20, 20))


def draw_shirt(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    colour = colour_rgb("shirt", obj.variant)
    sleeve = max(1, (x2 - x1) // 5)
    draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=colour)
    draw.rectangle((x1, y1, x1 + sleeve, y1 + (y2 - y1) // 3), fill=colour)
    for y in range(y1 + 2, y2 - 1, 3):
        draw.line((x1, y, x2 - 1, y), fill=(250, 250, 250))
    draw.line(((x1 + x2) / 2 - 1, y1, (x1 + x2) / 2 + 1, y1 + 2), fill=(40, 40, 40))


def draw_hat(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    colour = colour_rgb("hat", obj.variant)
    h = y2 - y1
    brim_top = y2 - max(1, int(h * 0.35))
    draw.rectangle((x1, brim_top, x2 - 1, y2 - 1), fill=(30, 30, 30))
    inset = (x2 - x1) * 0.2
    draw.chord((x1 + inset, y1, x2 - 1 - inset, brim_top + (brim_top - y1)), 180, 360, fill=colour)
    draw.rectangle((x1 + inset, (y1 + brim_top) / 2, x2 - 1 - inset, brim_top), fill=colour)


def draw_dog(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("dog", obj.variant)
    ear = (70, 40, 20)
    f = obj.facing
    front = x2 - 1 if f > 0 else x1
    back = x1 if f > 0 else x2 - 1
    if obj.pose == "incar":
        r = min(w, h) * 0.45
        _circle(draw, (x1 + x2) / 2, y1 + r, r, colour)
        draw.ellipse(((x1 + x2) / 2 - f * r - r * 0.4, y1 + r * 0.3, (x1 + x2) / 2 - f * r + r * 0.4, y1 + 1.6 * r),
                     fill=ear)
        draw.rectangle((x1 + 1, y1 + 1.6 * r, x2 - 2, y2 - 1), fill=colour)
        return
    if obj.pose == "lie":
        draw.ellipse((x1 + 0.1 * w, y1 + 0.3 * h, x2 - 1 - 0.1 * w, y2 - 1), fill=colour)
        r = h * 0.38
        hx = front - f * r
        _circle(draw, hx, y1 + r, r, colour)
        draw.ellipse((hx - f * r * 0.2 - 2, y1 + r * 0.4, hx - f * r * 0.2 + 2, y1 + 1.8 * r), fill=ear)
        draw.line((back, y2 - 2, back + f * 0.15 * w, y2 - 3), fill=colour, width=2)
        return
    if obj.pose == "sit":
        draw.ellipse((x1 + 0.1 * w, y1 + 0.3 * h, x2 - 1 - 0.1 * w, y2 - 1), fill=colour)
        r = w * 0.3
        hx = (x1 + x2) / 2 + f * 0.15 * w
        _circle(draw, hx, y1 + r, r, colour)
        draw.ellipse((hx - f * r * 0.3 - 2, y1 + r * 0.5, hx - f * r * 0.3 + 2, y1 + 2 * r), fill=ear)
        return
    body = (x1 + 0.15 * w, y1 + 0.25 * h, x2 - 1 - 0.15 * w, y1 + 0.7 * h)
    draw.ellipse(body, fill=colour)
    lw = max(1, int(w * 0.07))
    for lx in (body[0] + 2, body[0] + 0.3 * w, body[2] - 0.3 * w, body[2] - 2):
        slant = (f * 0.08 * w) if obj.pose == "walk" and lx > (x1 + x2) / 2 else 0
        draw.line((lx, y1 + 0.55 * h, lx + slant, y2 - 1), fill=colour, width=lw)
    r = h * 0.28
    head_y = y2 - 1 - r if obj.pose == "eat" else y1 + r
    hx = front - f * r
    _circle(draw, hx, head_y, r, colour)
    draw.ellipse((hx - f * r * 0.3 - 2, head_y - r * 0.6, hx - f * r * 0.3 + 2, head_y + r), fill=ear)
    draw.point((hx + f * r * 0.4, head_y - r * 0.2), fill=(10, 10, 10))
    draw.line((back, y1 + 0.15 * h, back + f * 0.15 * w, y1 + 0.35 * h), fill=colour, width=max(1, lw))


def draw_horse(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("horse", obj.variant)
    f = obj.facing
    body = (x1 + 0.12 * w, y1 + 0.36 * h, x2 - 1 - 0.18 * w, y1 + 0.7 * h)
    if f < 0:
        body = (x1 + 0.18 * w, body[1], x2 - 1 - 0.12 * w, body[3])
    draw.ellipse(body, fill=colour)
    lw = max(2, int(w * 0.05))
    for lx in (body[0] + 0.1 * w, body[0] + 0.22 * w, body[2] - 0.22 * w, body[2] - 0.1 * w):
        draw.line((lx, body[3] - 2, lx, y2 - 1), fill=colour, width=lw)
        draw.line((lx - 1, y2 - 2, lx + 1, y2 - 2), fill=(30, 30, 30), width=2)
    neck_base = body[2] - 0.08 * w if f > 0 else body[0] + 0.08 * w
    head_x = x2 - 1 - 0.08 * w if f > 0 else x1 + 0.08 * w
    draw.polygon([(neck_base - f * 0.1 * w, body[1] + 2), (neck_base, body[1] + 0.15 * h),
                  (head_x, y1 + 0.12 * h), (head_x - f * 0.1 * w, y1)], fill=colour)
    draw.ellipse((head_x - 0.09 * w, y1 + 0.02 * h, head_x + 0.09 * w, y1 + 0.22 * h), fill=colour)
    draw.line((neck_base - f * 0.1 * w, body[1] + 1, head_x - f * 0.1 * w, y1 + 1), fill=(15, 15, 15), width=2)
    tail_x = body[0] if f > 0 else body[2]
    draw.line((tail_x, body[1] + 3, tail_x - f * 0.08 * w, y1 + 0.75 * h), fill=(15, 15, 15), width=2)


def draw_bird(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    w, h = x2 - x1, y2 - y1
    colour = colour_rgb("bird", obj.variant)
    f = obj.facing
    if obj.pose == "fly":
        mid = (x1 + x2) / 2
        draw.line((x1, y1, mid, y1 + h * 0.6, x2 - 1, y1), fill=colour, width=2)
        draw.ellipse((mid - 2, y1 + h * 0.4, mid + 2, y2 - 1), fill=colour)
        return
    draw.ellipse((x1 + 0.1 * w, y1 + 0.25 * h, x2 - 1 - 0.1 * w, y2 - 1), fill=colour)
    head_x = x2 - 1 - 0.22 * w if f > 0 else x1 + 0.22 * w
    draw.ellipse((head_x - 0.2 * w, y1, head_x + 0.2 * w, y1 + 0.5 * h), fill=colour)
    wing = (40, 40, 40) if obj.variant % 2 == 0 else (200, 200, 200)
    cx = (x1 + x2) / 2
    draw.polygon([(cx - f * 0.3 * w, y1 + 0.4 * h), (cx + f * 0.1 * w, y1 + 0.45 * h), (cx - f * 0.1 * w, y2 - 2)],
                 fill=wing)
    beak_x = x2 - 1 if f > 0 else x1
    draw.polygon([(beak_x, y1 + 0.25 * h), (head_x + f * 0.15 * w, y1 + 0.15 * h),
                  (head_x + f * 0.15 * w, y1 + 0.35 * h)], fill=(240, 130, 20))
