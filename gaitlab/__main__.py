"""``python -m gaitlab``: the same as the ``gaitlab`` command."""

from gaitlab.cli import main

main()
