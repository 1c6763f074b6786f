# Draws media/icon.png (128x128, the Marketplace icon) from the same shapes as
# media/icons/greenlight.svg: a traffic light whose bottom lamp is lit green, on a dark tile.
# Plain zlib + struct, antialiased by 4x4 supersampling, so no imaging package is needed.
import struct, zlib

N, S = 128, 4
def inside_rrect(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r); cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1
def color(x, y):
    u, v = x / N * 24, y / N * 24  # the SVG's 24x24 coordinates
    if not inside_rrect(u, v, 0.5, 0.5, 23.5, 23.5, 4.5): return (0, 0, 0, 0)
    bg = (30, 36, 44, 255)
    for cy, r, lit in ((7, 2.0, False), (12, 2.0, False), (17, 2.4, True)):
        if (u - 12) ** 2 + (v - cy) ** 2 <= r * r: return (46, 204, 113, 255) if lit else (90, 98, 110, 255)
    outer = inside_rrect(u, v, 6.4, 1.6, 17.6, 22.4, 3.4); inner = inside_rrect(u, v, 7.6, 2.8, 16.4, 21.2, 2.4)
    if outer and not inner: return (220, 226, 232, 255)
    return bg
rows = []
for y in range(N):
    row = bytearray([0])
    for x in range(N):
        acc = [0, 0, 0, 0]
        for sy in range(S):
            for sx in range(S):
                c = color(x + (sx + .5) / S, y + (sy + .5) / S)
                for i in range(4): acc[i] += c[i]
        row += bytes(a // (S * S) for a in acc)
    rows.append(bytes(row))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', N, N, 8, 6, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b''.join(rows), 9)) + chunk(b'IEND', b'')
open('media/icon.png', 'wb').write(png)
