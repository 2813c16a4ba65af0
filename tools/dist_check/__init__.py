"""Install the built wheel and sdist as a stranger would, and use them.

``make dist-check`` (run by CI) builds both with ``make dist`` and then, for
each, in a new virtualenv in a temporary directory outside the checkout, and
from another temporary directory:

1. installed without extras (plus pytest and mypy, at the versions of the
   ``dev`` extra): ``--version`` matches the metadata; ``serve-fake``, the demo
   and the pytest fixtures each stop with one line naming the ``testing``
   extra, ``to_pil()`` names the ``pil`` extra, and a test that uses no
   fixture passes;
2. with ``[testing,pil]`` added: the demo writes a PNG, the user's tests in
   ``user_project/`` pass with the fixtures, ``mypy --strict`` accepts a user
   module that imports the facade and the generated models, and ``to_pil()``
   returns an image.
"""
