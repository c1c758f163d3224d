#!/usr/bin/env python3
"""Renders the scalable icon to the fixed-size PNG that is committed next to it.

Run by hand after editing the SVG (the build does not need it):
    python3 resources/icons/render_png.py [SIZE]
Uses librsvg and cairo through ctypes (Debian: librsvg2-2, libcairo2, installed with Qt's
dependencies), because rsvg-convert is not always installed and ImageMagick's own SVG renderer
drops gradients and clip paths.
"""
import ctypes
import ctypes.util
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
ICON_ID = "studio.harmonizer.HarmonizerStudio"


def load(name):
    path = ctypes.util.find_library(name)
    if not path:
        sys.exit(f"render_png.py: lib{name} not found")
    return ctypes.CDLL(path)


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    svg = HERE / f"{ICON_ID}.svg"
    png = HERE / f"{ICON_ID}-{size}.png"
    rsvg, cairo = load("rsvg-2"), load("cairo")

    rsvg.rsvg_handle_new_from_file.restype = ctypes.c_void_p
    rsvg.rsvg_handle_new_from_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    rsvg.rsvg_handle_render_document.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    cairo.cairo_image_surface_create.restype = ctypes.c_void_p
    cairo.cairo_image_surface_create.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    cairo.cairo_create.restype = ctypes.c_void_p
    cairo.cairo_create.argtypes = [ctypes.c_void_p]
    cairo.cairo_surface_write_to_png.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    cairo.cairo_surface_write_to_png.restype = ctypes.c_int

    class Rect(ctypes.Structure):
        _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double),
                    ("width", ctypes.c_double), ("height", ctypes.c_double)]

    handle = rsvg.rsvg_handle_new_from_file(str(svg).encode(), None)
    if not handle:
        sys.exit(f"render_png.py: cannot read {svg}")
    cairo_format_argb32 = 0
    surface = cairo.cairo_image_surface_create(cairo_format_argb32, size, size)
    context = cairo.cairo_create(surface)
    viewport = Rect(0, 0, size, size)
    if not rsvg.rsvg_handle_render_document(handle, context, ctypes.byref(viewport), None):
        sys.exit(f"render_png.py: librsvg could not render {svg}")
    if cairo.cairo_surface_write_to_png(surface, str(png).encode()) != 0:
        sys.exit(f"render_png.py: cannot write {png}")
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
