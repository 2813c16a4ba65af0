"""A user's tests of their own code, with the fixtures the installed package registers."""

from __future__ import annotations

from pathlib import Path

import pytest
from stability_v1alpha import InternalServerError, Stability


def make_poster(client: Stability, subject: str, folder: Path) -> Path:
    """The user's code under test: one 1024x512 poster image, saved."""
    image = client.text_to_image(f"{subject}, poster", width=1024, height=512, seed=7).image
    return image.save(folder / "poster.png")


def test_make_poster_sends_the_size_and_saves_a_png(stability_client, stability_server, tmp_path):
    path = make_poster(stability_client, "a lighthouse", tmp_path)

    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    request = stability_server.requests.last
    assert request.operation == "textToImage"
    assert (request.params["width"], request.params["height"]) == (1024, 512)


def test_make_poster_surfaces_a_server_error(stability_client, stability_server, tmp_path):
    stability_server.fail_next(500)
    with pytest.raises(InternalServerError):
        make_poster(stability_client, "a lighthouse", tmp_path)
    assert not (tmp_path / "poster.png").exists()
