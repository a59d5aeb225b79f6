#!/usr/bin/python3
"""Makes the small TIFF fixtures for pipeline/scan tests (run from this folder).

Each page is a white page with a black filled rectangle from (x0, y0) to
(x1, y1) exclusive, so tests can check the decoded pixels:
    page size, rectangle  ->  fixture
"""
from PIL import Image, ImageDraw


def page(w, h, rect, mode="L"):
    im = Image.new("L", (w, h), 255)
    ImageDraw.Draw(im).rectangle(rect, fill=0)  # PIL's rectangle includes x1, y1
    if mode == "RGB":
        im = im.convert("RGB")
        ImageDraw.Draw(im).rectangle((0, 0, 3, 3), fill=(255, 0, 0))
    return im.convert(mode)


# Bitonal CCITT Group 4, 300 dpi.
# PIL writes it BlackIsZero, which for CCITT data means the fax "white" runs are
# black (TIFF 6.0, section 11); scanners mostly write WhiteIsZero.
page(96, 64, (10, 20, 49, 39)).convert("1").save("g4.tif", compression="group4", dpi=(300, 300))
page(96, 64, (10, 20, 49, 39)).convert("1").save("g4-wiz.tif", compression="group4", dpi=(300, 300),
                                                 tiffinfo={262: 0})
# Bitonal CCITT modified Huffman (RLE) and Group 3, BlackIsZero like g4.tif.
page(96, 64, (10, 20, 49, 39)).convert("1").save("rle.tif", compression="tiff_ccitt", dpi=(300, 300))
page(96, 64, (10, 20, 49, 39)).convert("1").save("g3.tif", compression="group3", dpi=(300, 300))
# Gray PackBits, 300 dpi.
page(80, 60, (10, 20, 49, 39)).save("packbits.tif", compression="packbits", dpi=(300, 300))
# RGB Deflate (zip), 200 dpi.
page(80, 60, (10, 20, 49, 39), "RGB").save("deflate.tif", compression="tiff_adobe_deflate", dpi=(200, 200))
# Gray uncompressed, 600 dpi.
page(80, 60, (10, 20, 49, 39)).save("none.tif", compression="raw", dpi=(600, 600))
# Gray uncompressed, resolution in centimetres: 118.11 px/cm = 300 dpi.
page(80, 60, (10, 20, 49, 39)).save("cm.tif", compression="raw", resolution_unit=3,
                                    x_resolution=118.11, y_resolution=118.11)
# Three pages of different sizes, LZW, 300 dpi.
p1 = page(40, 30, (5, 5, 14, 14))
p2 = page(50, 60, (10, 20, 29, 39))
p3 = page(70, 20, (60, 2, 65, 7), "RGB")
p1.save("multi3.tif", compression="tiff_lzw", dpi=(300, 300), save_all=True, append_images=[p2, p3])
