"""Body geometry of people: where the head, torso (shirt), hat and hand are inside a person box.

Shared by the scene sampler (which places shirts, hats and held items exactly on these
parts) and the renderer (which draws them), so annotations and pixels agree.
Coordinates are image pixels; boxes ``(x1, y1, x2, y2)`` with exclusive ends.
"""
from __future__ import annotations

from dataclasses import dataclass

# Body size per pose at scale 1, in pixels: (width, height), without a hat.
PERSON_SIZE = {"stand": (20, 58), "walk": (25, 58), "sit": (26, 48), "ride": (22, 46), "lie": (52, 13),
               "incar": (14, 18)}
HAT_FRACTION = 0.12        # share of the box height taken by a worn hat


@dataclass
class PersonParts:
    head: tuple[float, float, float]          # centre x, centre y, radius
    torso: tuple[int, int, int, int]          # also the shirt box
    hat: tuple[int, int, int, int] | None     # box of a worn hat, else None
    hand: tuple[int, int]                     # hand point on the facing side (holding)
    shoulder: tuple[int, int]
    hip_y: int
    body_top: int


def person_box(cx: float, bottom: float, scale: float, pose: str, hat: bool) -> tuple[int, int, int, int]:
    """Box of a person whose feet (or lowest point) are at ``bottom``; the hat adds height on top."""
    w, h = PERSON_SIZE[pose]
    w, h = w * scale, h * scale
    total = h / (1.0 - HAT_FRACTION) if hat else h
    return (int(round(cx - w / 2)), int(round(bottom - total)), int(round(cx + w / 2)), int(round(bottom)))


def person_parts(box, pose: str, facing: int, hat: bool) -> PersonParts:
    x1, y1, x2, y2 = box
    bw = x2 - x1
    hat_h = int(round((y2 - y1) * HAT_FRACTION)) if hat else 0
    top = y1 + hat_h
    bh = y2 - top
    cx = (x1 + x2) / 2
    if pose == "lie":
        r = bh * 0.42
        head_x = x2 - r - 1 if facing > 0 else x1 + r + 1
        head = (head_x, top + bh / 2, r)
        tx1, tx2 = (x1 + 0.35 * bw, x2 - 2 * r - 1) if facing > 0 else (x1 + 2 * r + 1, x2 - 0.35 * bw)
        torso = (int(tx1), int(top + 0.15 * bh), int(tx2), y2)
        hand = (int((tx1 + tx2) / 2), int(top))
        shoulder = (int(tx2 if facing > 0 else tx1), int(top + 0.4 * bh))
        hat_box = (int(head_x - r), y1, int(head_x + r), top + 1) if hat else None
        return PersonParts(head, torso, hat_box, hand, shoulder, y2, top)
    if pose == "incar":
        r = bh * 0.3
        head = (cx, top + r, r)
        torso = (int(x1 + 0.05 * bw), int(top + 2 * r), int(x2 - 0.05 * bw), y2)
        hat_box = (int(cx - 1.2 * r), y1, int(cx + 1.2 * r), int(top + 0.2 * r)) if hat else None
        return PersonParts(head, torso, hat_box, (int(cx), y2), (int(cx), int(top + 2 * r)), y2, top)
    if pose in ("sit", "ride"):
        body_cx = cx - facing * 0.18 * bw if pose == "sit" else cx
        r = 0.13 * bh
        hip = top + 0.73 * bh
        torso = (int(round(body_cx - 0.22 * bw)), int(round(top + 2 * r)),
                 int(round(body_cx + 0.22 * bw)), int(round(hip)))
    else:  # stand, walk
        body_cx = cx
        r = 0.11 * bh
        hip = top + 0.6 * bh
        torso = (int(round(cx - 0.3 * min(bw, 0.345 * bh))), int(round(top + 2 * r)),
                 int(round(cx + 0.3 * min(bw, 0.345 * bh))), int(round(hip)))
    head = (body_cx, top + r, r)
    hat_box = None
    if hat:
        hat_box = (int(round(body_cx - 1.3 * r)), y1, int(round(body_cx + 1.3 * r)), int(round(top + 0.3 * r)))
    hand_x = x2 - 1 if facing > 0 else x1
    hand = (int(hand_x), int(round(torso[1] + 0.55 * (torso[3] - torso[1]))))
    shoulder = (int(torso[2] - 1 if facing > 0 else torso[0]), int(torso[1] + 2))
    return PersonParts(head, torso, hat_box, hand, shoulder, int(round(hip)), top)
