"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

  python3 tests/fuzz/make_corpus.py
Small valid inputs of each format, so the fuzzers start from the interesting
paths; run again after changing a format.
"""

import gzip
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    header, blob, offset = {}, b"", 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blob += data
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + blob


def png(width, height, channels):
    rows = b"".join(b"\x00" + bytes((x * 37 + y * 11 + c) % 256 for x in range(width) for c in range(channels))
                    for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    color = {1: 0, 3: 2, 4: 6}[channels]
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def main():
    put("safetensors", "two-tensors", safetensors({"w": ("F32", [2, 3], struct.pack("<6f", *range(6))),
                                                    "b": ("F32", [2], struct.pack("<2f", 1, 2))}, {"step": "3"}))
    put("safetensors", "f16-f64", safetensors({"h": ("F16", [2], b"\x00\x3c\x00\x40"),
                                               "d": ("F64", [1], struct.pack("<d", 2.5))}))
    put("safetensors", "scalar-and-empty", safetensors({"s": ("F32", [], struct.pack("<f", 1)), "e": ("F32", [0], b"")}))
    images = bytes((i * 7) % 256 for i in range(2 * 4 * 4))
    idx = b"\x00\x00\x08\x03" + struct.pack(">III", 2, 4, 4) + images
    put("idx", "images-plain", idx)
    put("idx", "images-gzip", gzip.compress(idx))
    put("idx", "labels", b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"\x01\x02\x03")
    put("image", "gray.png", png(5, 4, 1))
    put("image", "rgb.png", png(4, 3, 3))
    put("image", "rgba.png", png(3, 3, 4))
    put("image", "gray.pgm", b"P5\n3 2\n255\n" + bytes(range(6)))
    put("image", "rgb.ppm", b"P6\n2 2\n255\n" + bytes(range(12)))
    bmp_pixels = bytes(range(4 * 2 * 3)) + b""
    bmp = (b"BM" + struct.pack("<IHHI", 54 + len(bmp_pixels), 0, 0, 54) +
           struct.pack("<IiiHHIIiiII", 40, 4, 2, 1, 24, 0, len(bmp_pixels), 2835, 2835, 0, 0) + bmp_pixels)
    put("image", "rgb.bmp", bmp)
    for i, spec in enumerate(["gaussian:sigma=0.3", "gaussian:sigma=0.1,clip=0", "saltpepper:amount=0.2,salt=0.4,per_channel=0",
                              "mask:p=0.5", "block:size=8x12,count=3", "none|gaussian|block:size=4", "mse+perceptual",
                              "step:every=100,gamma=0.5", "cosine", "relu1_2,relu2_2,relu3_3", "1,0.5,0.25"]):
        put("specs", f"spec-{i}", spec)


if __name__ == "__main__":
    main()
