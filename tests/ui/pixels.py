"""Reading the demo footage's markers back from what a tile painted."""

from __future__ import annotations


def patch_colour(tile) -> tuple[int, int, int]:
    """The colour painted at the centre of the demo footage's corner patch."""
    rect = tile.video_rect()
    image = tile.grab().toImage()
    ratio = image.devicePixelRatio()
    x = rect.x() + rect.width() * 15 / 16
    y = rect.y() + rect.height() * 15 / 16
    colour = image.pixelColor(round(x * ratio), round(y * ratio))
    return colour.red(), colour.green(), colour.blue()


def assert_shows(tile, camera) -> None:
    """The tile's painted pixels show ``camera`` (a DemoCamera) by its colour patch."""
    actual = patch_colour(tile)
    assert all(abs(a - e) <= 40 for a, e in zip(actual, camera.colour, strict=True)), (
        f"tile {tile.index} shows {actual}, expected {camera.id}'s {camera.colour}"
    )
