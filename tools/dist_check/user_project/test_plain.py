"""A test that uses none of the package's fixtures: the plugin must stay out of its way."""


def test_arithmetic():
    assert 6 * 7 == 42
