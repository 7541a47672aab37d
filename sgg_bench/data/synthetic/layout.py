"""A sampled scene before rendering: objects with boxes and poses, relations, connector lines.

Coordinates are image pixels, boxes ``(x1, y1, x2, y2)`` integers with ``x2``/``y2``
exclusive (width = x2 - x1). ``z`` orders drawing (smaller first, i.e. further away).
Sampling (scenes.py, templates_*.py) builds these; render.py draws them; the writers turn
them into VG / OpenImages records. Nothing here touches Pillow.
"""
from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[int, int, int, int]


@dataclass
class SceneObject:
    """One annotated figure. ``pose`` in {"", stand, walk, sit, ride, lie, incar, eat};
    ``facing`` is +1 (looks right) or -1 (looks left); ``variant`` indexes the class palette."""

    label: str
    box: Box
    z: float
    pose: str = ""
    facing: int = 1
    variant: int = 0
    style: str = ""          # drawing detail, e.g. "arm" for a pole with a hanging arm
    grounded: bool = False   # a free-standing figure on the ground (takes part in near/behind/in front of)


@dataclass
class Connector:
    """A straight line drawn at depth ``z`` (arms, strings, chains, straps)."""

    start: tuple[int, int]
    end: tuple[int, int]
    colour: tuple[int, int, int]
    width: int
    z: float


@dataclass
class Scene:
    """One image: size, background, objects, raw relation rows ``(subject, object, predicate)``."""

    index: int
    image_id: int
    width: int
    height: int
    horizon: int
    ground: str                               # grass | sand | pavement
    water_top: int | None = None              # water band from here to ``water_bottom``
    water_bottom: int | None = None
    objects: list[SceneObject] = field(default_factory=list)
    relations: list[tuple[int, int, str]] = field(default_factory=list)
    connectors: list[Connector] = field(default_factory=list)
    render_seed: int = 0
    secondary_rows: list[int] = field(default_factory=list)   # VG-style second labels of a pair (see scenes.py)


class SceneBuilder:
    """Adds objects/relations to a scene with rollback, so a template that does not fit can be undone."""

    def __init__(self, scene: Scene):
        self.scene = scene

    def add(self, label: str, box, *, z: float, pose: str = "", facing: int = 1, variant: int = 0,
            style: str = "", grounded: bool = False) -> int:
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        self.scene.objects.append(SceneObject(label=label, box=(x1, y1, x2, y2), z=z, pose=pose,
                                              facing=facing, variant=variant, style=style,
                                              grounded=grounded))
        return len(self.scene.objects) - 1

    def relate(self, subject: int, obj: int, predicate: str) -> None:
        if subject == obj:
            raise ValueError("a relation needs two different objects")
        self.scene.relations.append((subject, obj, predicate))

    def line(self, start, end, *, colour=(30, 30, 30), width: int = 1, z: float) -> None:
        self.scene.connectors.append(Connector(start=(int(start[0]), int(start[1])),
                                               end=(int(end[0]), int(end[1])), colour=colour,
                                               width=width, z=z))

    def checkpoint(self) -> tuple[int, int, int]:
        return len(self.scene.objects), len(self.scene.relations), len(self.scene.connectors)

    def rollback(self, mark: tuple[int, int, int]) -> None:
        n_obj, n_rel, n_con = mark
        del self.scene.objects[n_obj:]
        del self.scene.relations[n_rel:]
        del self.scene.connectors[n_con:]

    def fits(self, mark: tuple[int, int, int], *, min_visible: float = 0.85) -> bool:
        """True when every object added since ``mark`` keeps >= ``min_visible`` of its area inside the image."""
        w, h = self.scene.width, self.scene.height
        for obj in self.scene.objects[mark[0]:]:
            x1, y1, x2, y2 = obj.box
            area = (x2 - x1) * (y2 - y1)
            if area <= 0:
                return False
            inside = max(0, min(x2, w) - max(x1, 0)) * max(0, min(y2, h) - max(y1, 0))
            if inside < min_visible * area or min(x2, w) - max(x1, 0) < 3 or min(y2, h) - max(y1, 0) < 3:
                return False
        return True

    def union_box(self, mark: tuple[int, int, int]) -> Box | None:
        boxes = [o.box for o in self.scene.objects[mark[0]:] if o.label != "street"]
        if not boxes:
            return None
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))


def clip_box(box: Box, width: int, height: int) -> Box:
    x1, y1, x2, y2 = box
    return max(0, x1), max(0, y1), min(width, x2), min(height, y2)


def overlap_area(a: Box, b: Box) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def box_area(a: Box) -> int:
    return max(0, a[2] - a[0]) * max(0, a[3] - a[1])
