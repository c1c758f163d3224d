#!/usr/bin/python3
"""Make the bundled sample composite and the test fixtures from photos we may ship.

Run by hand once (Debian: apt-get install python3-skimage python3-opencv); its outputs are
committed, so neither the build nor CI needs these packages.

    /usr/bin/python3 resources/sample/make_sample.py

The foreground is Eileen Collins from scikit-image's `astronaut` (NASA, public domain), cut
out with OpenCV's GrabCut; the background is scikit-image's `rocket` (SpaceX, public domain):
a warm, bright studio portrait pasted into a cool dusk scene, so that the colours and the
light clearly do not match. See SOURCE.md.
"""
import os
import sys

import cv2
import numpy as np
from skimage import data

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "..", "tests", "data")


def cut_out_astronaut():
    """Foreground mask of the astronaut photo (float in [0, 1]), by GrabCut."""
    rgb = data.astronaut()
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    h, w = rgb.shape[:2]
    mask = np.full((h, w), cv2.GC_BGD, np.uint8)
    # Probable foreground: the person and the helmet she holds. Known background: the flag
    # on the left and the shuttle model on the right, which a rectangle alone would keep.
    mask[15:, 20:505] = cv2.GC_PR_FGD
    mask[:300, 360:] = cv2.GC_BGD
    mask[:338, 362:] = cv2.GC_BGD  # the dark stand under the model
    mask[:, :18] = cv2.GC_BGD
    mask[:140, :150] = cv2.GC_BGD
    # Known foreground: face, suit front, helmet centre.
    mask[60:170, 180:270] = cv2.GC_FGD
    mask[300:500, 60:300] = cv2.GC_FGD
    mask[380:500, 330:460] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(bgr, mask, None, bgd, fgd, 8, cv2.GC_INIT_WITH_MASK)
    hard = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    # Keep the largest component, fill holes, and feather the edge by a pixel or two.
    n, labels, stats, _ = cv2.connectedComponentsWithStats(hard)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    hard = np.where(labels == largest, 255, 0).astype(np.uint8)
    hard = cv2.morphologyEx(hard, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    soft = cv2.GaussianBlur(hard.astype(np.float32) / 255.0, (5, 5), 1.2)
    return rgb, soft


def main():
    fg_rgb, fg_mask = cut_out_astronaut()
    bg = data.rocket()  # 427x640
    bh, bw = bg.shape[:2]
    # Scale the person to 70% of the background's height and stand her at the bottom, in
    # front of the launch pad (the middle of the picture, where a split view divides her).
    scale = 0.7 * bh / fg_rgb.shape[0]
    size = (int(round(fg_rgb.shape[1] * scale)), int(round(fg_rgb.shape[0] * scale)))
    fg = cv2.resize(fg_rgb, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    alpha = cv2.resize(fg_mask, size, interpolation=cv2.INTER_AREA)
    x0, y0 = 175, bh - size[1]
    comp = bg.astype(np.float32)
    region = comp[y0:y0 + size[1], x0:x0 + size[0]]
    region[:] = alpha[..., None] * fg + (1 - alpha[..., None]) * region
    full_mask = np.zeros((bh, bw), np.float32)
    full_mask[y0:y0 + size[1], x0:x0 + size[0]] = alpha

    comp8 = np.clip(np.round(comp), 0, 255).astype(np.uint8)
    mask8 = np.clip(np.round(full_mask * 255), 0, 255).astype(np.uint8)
    write = lambda path, img, *p: cv2.imwrite(path, img, list(p)) or sys.exit("cannot write " + path)
    write(os.path.join(HERE, "composite.jpg"), cv2.cvtColor(comp8, cv2.COLOR_RGB2BGR),
          cv2.IMWRITE_JPEG_QUALITY, 95)
    write(os.path.join(HERE, "mask.png"), mask8)

    # Test fixtures: 96x64 versions of the same composite, made from the float composite so
    # that the 16-bit one has real 16-bit values.
    small = (96, 64)
    s_comp = cv2.resize(comp, small, interpolation=cv2.INTER_AREA)
    s_mask = cv2.resize(full_mask, small, interpolation=cv2.INTER_AREA)
    s8 = cv2.cvtColor(np.clip(np.round(s_comp), 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    s16 = cv2.cvtColor(np.clip(np.round(s_comp * 257), 0, 65535).astype(np.uint16), cv2.COLOR_RGB2BGR)
    hard_mask = np.where(s_mask >= 0.5, 255, 0).astype(np.uint8)
    soft_mask = np.clip(np.round(cv2.GaussianBlur(s_mask, (0, 0), 2.0) * 255), 0, 255).astype(np.uint8)
    rgba = cv2.cvtColor(s8, cv2.COLOR_BGR2BGRA)
    rgba[..., 3] = 204  # 80% opaque
    os.makedirs(TESTS, exist_ok=True)
    write(os.path.join(TESTS, "small_composite.png"), s8)
    write(os.path.join(TESTS, "small_composite.jpg"), s8, cv2.IMWRITE_JPEG_QUALITY, 95)
    write(os.path.join(TESTS, "small_composite16.png"), s16)
    write(os.path.join(TESTS, "small_gray.png"), cv2.cvtColor(s8, cv2.COLOR_BGR2GRAY))
    write(os.path.join(TESTS, "small_rgba.png"), rgba)
    write(os.path.join(TESTS, "small_mask.png"), hard_mask)
    write(os.path.join(TESTS, "small_mask_soft.png"), soft_mask)
    # The cut-out alone, to check the GrabCut result by eye (not shipped).
    if "--debug" in sys.argv:
        write("/tmp/astronaut_cutout.png",
              cv2.cvtColor((fg_rgb * fg_mask[..., None]).astype(np.uint8), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
