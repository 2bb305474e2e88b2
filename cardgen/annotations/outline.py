"""Outlines of a bitmap mask: the polygons along its pixels' edges.

A segmentation is a mask, and an Image Occlusion card carries polygons, so each 4-connected region
of a mask becomes the polygon that runs along the outer edges of its pixels (corner-origin pixel
coordinates: pixel (row r, column c) covers x c..c+1, y r..r+1). Holes are covered: a learner is
asked where the region is, and a mask with a hole cut out is the same finding. Straight runs are
joined, and the staircase of a curved edge is thinned (Douglas-Peucker) to within
:data:`TOLERANCE` pixels of the exact outline, so a large round segment stays a few dozen points.
"""

from __future__ import annotations

import numpy as np

XY = tuple[float, float]

# How far a thinned outline may stray from the pixel edges: under half a pixel, the accuracy the
# occlusion notes promise.
TOLERANCE = 0.4


def mask_outlines(mask: np.ndarray, tolerance: float = TOLERANCE) -> list[tuple[XY, ...]]:
    """The outer outline of each 4-connected region of ``mask`` (rows x columns), in reading order."""
    padded = np.pad(np.asarray(mask, dtype=bool), 1)
    inside = padded[1:-1, 1:-1]
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def add(rows, columns, start, end) -> None:
        for r, c in zip(rows.tolist(), columns.tolist()):
            edges.setdefault((c + start[0], r + start[1]), []).append((c + end[0], r + end[1]))

    # Each pixel side with an empty neighbour, directed so that the pixel lies on its right as
    # drawn on screen (y down): the outer outline runs clockwise, a hole's anticlockwise.
    add(*np.nonzero(inside & ~padded[:-2, 1:-1]), (0, 0), (1, 0))  # top
    add(*np.nonzero(inside & ~padded[1:-1, 2:]), (1, 0), (1, 1))  # right
    add(*np.nonzero(inside & ~padded[2:, 1:-1]), (1, 1), (0, 1))  # bottom
    add(*np.nonzero(inside & ~padded[1:-1, :-2]), (0, 1), (0, 0))  # left

    loops: list[list[tuple[int, int]]] = []
    for start in sorted(edges, key=lambda v: (v[1], v[0])):
        while edges.get(start):
            loop = [start]
            previous, current = start, edges[start].pop()
            while current != start:
                loop.append(current)
                previous, current = current, _next(edges, previous, current)
            loops.append(loop)
    outlines = []
    for loop in loops:
        if _area(loop) <= 0:
            continue  # a hole
        corners = _corners(loop)
        outlines.append(tuple((float(x), float(y)) for x, y in _thinned(corners, tolerance)))
    return outlines


def _next(edges, previous, current):
    """The edge out of ``current``: where two regions touch at a corner, turn right (clockwise),
    which keeps to the region being traced."""
    choices = edges[current]
    if len(choices) == 1:
        return choices.pop()
    dx, dy = current[0] - previous[0], current[1] - previous[1]
    for turn in ((-dy, dx), (dx, dy), (dy, -dx)):  # right, straight on, left
        target = (current[0] + turn[0], current[1] + turn[1])
        if target in choices:
            choices.remove(target)
            return target
    return choices.pop()


def _area(loop) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(loop, loop[1:] + loop[:1]))


def _corners(loop):
    """The loop without the points in the middle of a straight run."""
    count = len(loop)
    kept = []
    for index, point in enumerate(loop):
        before, after = loop[index - 1], loop[(index + 1) % count]
        if (point[0] - before[0]) * (after[1] - point[1]) != (point[1] - before[1]) * (after[0] - point[0]):
            kept.append(point)
    return kept


def _thinned(points, tolerance: float):
    """Douglas-Peucker on a closed outline, split at its first point and the point farthest from it."""
    if len(points) <= 4 or tolerance <= 0:
        return points
    array = np.asarray(points, dtype=np.float64)
    far = int(np.argmax(np.hypot(*(array - array[0]).T)))
    first = _douglas_peucker(array[: far + 1], tolerance)
    second = _douglas_peucker(np.vstack([array[far:], array[:1]]), tolerance)
    thinned = [tuple(p) for p in first[:-1]] + [tuple(p) for p in second[:-1]]
    return thinned if len(thinned) >= 3 else points


def _douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        a, b = points[first], points[last]
        segment = b - a
        length = float(np.hypot(*segment))
        middle = points[first + 1:last]
        if length == 0:
            distance = np.hypot(*(middle - a).T)
        else:
            distance = np.abs(segment[0] * (middle[:, 1] - a[1]) - segment[1] * (middle[:, 0] - a[0])) / length
        index = int(np.argmax(distance))
        if distance[index] > tolerance:
            split = first + 1 + index
            keep[split] = True
            stack += [(first, split), (split, last)]
    return points[keep]
