"""Sampling context shared by the scene templates: perspective scale, the ground, random choices.

A template receives a ``TemplateContext`` and an anchor (centre x, baseline y). Objects
further away (baseline nearer the horizon) are drawn smaller: ``scale(b)`` shrinks
linearly from 1.0 at the image bottom to 0.7 at the horizon, times the image-size factor.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layout import Scene, SceneBuilder
from .figures import person_box, person_parts, PersonParts


@dataclass
class TemplateContext:
    builder: SceneBuilder
    rng: np.random.Generator
    street: int | None = None         # index of the street object, if the scene has one
    street_top: int = 0
    street_bottom: int = 0

    @property
    def scene(self) -> Scene:
        return self.builder.scene

    def scale(self, baseline: float) -> float:
        scene = self.scene
        depth = (baseline - scene.horizon) / max(1, scene.height - scene.horizon)
        return (scene.height / 150.0) * (0.7 + 0.3 * min(max(depth, 0.0), 1.0))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options: dict):
        """Weighted choice among the keys of ``options`` (values = weights)."""
        keys = list(options)
        weights = np.array([options[k] for k in keys], dtype=np.float64)
        return keys[int(self.rng.choice(len(keys), p=weights / weights.sum()))]

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def facing(self) -> int:
        return 1 if self.rng.random() < 0.5 else -1

    def variant(self) -> int:
        return int(self.rng.integers(0, 1 << 16))

    def on_street(self, baseline: float) -> bool:
        return self.street is not None and self.street_top + 2 <= baseline <= self.street_bottom


def add_person(ctx: TemplateContext, cx: float, bottom: float, scale: float, pose: str, *, z: float,
               facing: int | None = None, label: str | None = None, hat: bool | None = None,
               shirt: bool | None = None, annotate_worn: float = 0.55,
               grounded: bool = False) -> tuple[int, PersonParts]:
    """Add a man or woman plus (optionally) a worn shirt and hat with their ``wearing`` relations.

    Returns the person's index and its body parts (for placing held items).
    """
    b = ctx.builder
    label = label or ("man" if ctx.chance(0.55) else "woman")
    facing = facing if facing is not None else ctx.facing()
    hat = ctx.chance(0.2) if hat is None else hat
    shirt = ctx.chance(0.36) if shirt is None else shirt
    box = person_box(cx, bottom, scale, pose, hat)
    style = ("hat " if hat else "") + ("shirt" if shirt else "")
    person = b.add(label, box, z=z, pose=pose, facing=facing, variant=ctx.variant(), style=style.strip(),
                   grounded=grounded)
    parts = person_parts(box, pose, facing, hat)
    if shirt:
        shirt_idx = b.add("shirt", parts.torso, z=z + 0.01, variant=ctx.variant())
        if ctx.chance(annotate_worn):
            b.relate(person, shirt_idx, "wearing")
    if hat:
        hat_idx = b.add("hat", parts.hat, z=z + 0.02, variant=ctx.variant())
        if ctx.chance(annotate_worn):
            b.relate(person, hat_idx, "wearing")
    return person, parts


# Size at scale 1, in pixels (width, height), of the small items and the larger figures.
SIZE = {"cup": (12, 13), "bottle": (9, 22), "plate": (24, 7), "pizza": (22, 8), "bag": (18, 18),
        "hat": (16, 8), "shirt": (16, 16), "bird": (14, 10), "kite": (20, 26), "umbrella": (38, 40),
        "table": (58, 26), "chair": (22, 34), "bench": (62, 24), "dog": (30, 20), "horse": (62, 50),
        "car": (64, 30), "bike": (44, 28), "boat": (70, 44), "tree": (42, 96), "pole": (4, 70),
        "sign": (26, 18), "window": (12, 14)}
DOG_SIZE = {"stand": (30, 20), "walk": (32, 20), "eat": (30, 17), "sit": (18, 24), "lie": (32, 11),
            "incar": (14, 12)}


def sized_box(label: str, cx: float, bottom: float, scale: float, size=None) -> tuple[int, int, int, int]:
    """Box of width/height ``SIZE[label] * scale`` centred at ``cx`` with its lowest row at ``bottom``.

    Sizes are at least 3 px so that every box stays visible and encodable.
    """
    w, h = size if size is not None else SIZE[label]
    w, h = max(3.0, w * scale), max(3.0, h * scale)
    x1 = int(round(cx - w / 2))
    y2 = int(round(bottom))
    return (x1, y2 - int(round(h)), x1 + int(round(w)), y2)


def shift_box(box, dx: float = 0, dy: float = 0) -> tuple[int, int, int, int]:
    return (int(box[0] + dx), int(box[1] + dy), int(box[2] + dx), int(box[3] + dy))
