"""``last_image``: the image the Layers screen opens by default."""

from workbench.core.engine import history


def test_last_image_is_the_newest_build_that_made_one(tmp_path):
    recipe = tmp_path / "workbench.toml"
    assert history.last_image(history.load_history(recipe)) is None
    history.append_record(recipe, history.new_record(status="ok", tag="old:1", image_id="sha256:a"))
    history.append_record(recipe, history.new_record(status="ok", tag=None, image_id="sha256:b"))
    assert history.last_image(history.load_history(recipe)) == "sha256:b"
    history.append_record(recipe, history.new_record(status="ok", tag="new:2", image_id="sha256:c"))
    history.append_record(recipe, history.new_record(status="failed", tag="bad:3", image_id=None))
    assert history.last_image(history.load_history(recipe)) == "new:2"
