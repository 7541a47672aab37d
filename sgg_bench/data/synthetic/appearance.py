"""What each synthetic object class looks like: shape, colour variants and texture.

Every class has its own silhouette and its own colour family, and most add a texture
(stripes, dots, grain, panes), so a small detector can separate them at 128-200 px.
``PALETTES[cls]`` lists the colour variants as (VG attribute name, RGB); a scene object
stores the variant index, the renderer draws with that colour, and the writer records
the name as the object's attribute.
"""
from __future__ import annotations

RGB = tuple[int, int, int]

PALETTES: dict[str, tuple[tuple[str, RGB], ...]] = {
    "bag": (("purple", (120, 50, 150)), ("brown", (110, 70, 35))),
    "bench": (("green", (30, 100, 50)),),
    "bike": (("red", (200, 30, 30)), ("blue", (30, 30, 160))),   # frame
    "bird": (("yellow", (240, 210, 40)), ("black", (30, 30, 30))),
    "boat": (("white", (240, 240, 235)), ("red", (190, 40, 35))),
    "bottle": (("green", (40, 160, 70)), ("brown", (120, 65, 20))),
    "building": (("grey", (150, 150, 155)), ("tan", (200, 175, 130))),
    "car": (("red", (210, 30, 40)), ("blue", (40, 70, 200)), ("yellow", (235, 200, 30))),
    "chair": (("orange", (235, 130, 30)),),
    "cup": (("white", (245, 245, 245)), ("blue", (70, 150, 230))),
    "dog": (("brown", (150, 95, 45)), ("tan", (205, 170, 110))),
    "hat": (("black", (25, 25, 25)), ("red", (200, 30, 30))),
    "horse": (("brown", (95, 55, 25)), ("black", (40, 30, 25))),
    "kite": (("red", (220, 40, 40)), ("blue", (40, 80, 220))),
    "man": (("blue", (40, 60, 140)),),        # trousers
    "pizza": (("orange", (235, 170, 60)),),
    "plate": (("white", (250, 250, 250)),),
    "pole": (("grey", (120, 120, 125)),),
    "shirt": (("red", (210, 50, 50)), ("green", (50, 170, 80)), ("yellow", (230, 210, 50))),
    "sign": (("green", (20, 130, 60)), ("blue", (30, 70, 170))),
    "street": (("grey", (85, 85, 90)),),
    "table": (("brown", (140, 90, 45)),),
    "tree": (("green", (40, 130, 40)),),
    "umbrella": (("red", (215, 30, 60)), ("purple", (130, 50, 170))),
    "wheel": (("black", (20, 20, 20)),),
    "window": (("blue", (150, 200, 240)),),
    "woman": (("pink", (225, 90, 160)),),     # dress
}

# Extra attribute words per class (texture/material), recorded after the colour.
TEXTURE_ATTRIBUTE: dict[str, str] = {"shirt": "striped", "table": "wooden", "bench": "wooden"}

# Attribute words for poses (a scene object's ``pose``).
POSE_ATTRIBUTE: dict[str, str] = {"sit": "sitting", "ride": "sitting", "walk": "walking", "stand": "standing",
                                  "lie": "laying"}

# One line per class for docs/SYNTHETIC.md and for readers of the renderer.
DESCRIPTIONS: dict[str, str] = {
    "bag": "trapezoid with a strap arc and a light flap line",
    "bench": "long wooden seat of horizontal green slats, backrest, two legs",
    "bike": "thin red or blue frame triangle between two black rings, black handlebar and saddle",
    "bird": "small body ellipse with darker wing triangle, beak",
    "boat": "hull trapezoid with a dark stripe, mast and white sail",
    "bottle": "narrow body with neck and cap, white label band",
    "building": "large wall with brick-line texture and a flat dark roof",
    "car": "rounded body with light-blue side windows, headlight",
    "chair": "orange seat, tall backrest and thin legs",
    "cup": "small mug with a handle and a darker rim",
    "dog": "body ellipse, four legs, head with a floppy dark ear, tail",
    "hat": "dark brim strip under a rounded crown",
    "horse": "large dark body, long legs, raised neck with black mane",
    "kite": "diamond with two-tone quadrants and a zig-zag tail",
    "man": "round head with short dark hair, torso, blue trousers",
    "pizza": "orange disc with red pepperoni dots",
    "plate": "flat white ellipse with grey rim",
    "pole": "thin grey post (with an arm when something hangs from it)",
    "shirt": "torso shape with sleeves and white horizontal stripes",
    "sign": "rectangle with a white border and white text dashes",
    "street": "dark band across the image with a dashed white centre line",
    "table": "wooden top with grain lines on two legs",
    "tree": "brown trunk under a green canopy with darker leaf dots",
    "umbrella": "segmented half-disc canopy with alternating stripes and a stick",
    "wheel": "black ring with grey hub and spokes",
    "window": "light-blue panes in a white cross frame",
    "woman": "round head with long blond hair, pink triangular dress",
}


def colour_name(cls: str, variant: int) -> str:
    return PALETTES[cls][variant % len(PALETTES[cls])][0]


def colour_rgb(cls: str, variant: int) -> RGB:
    return PALETTES[cls][variant % len(PALETTES[cls])][1]
