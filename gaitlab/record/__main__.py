"""``python -m gaitlab.record record|repair …``: the recorder commands without the main CLI."""

import click

from gaitlab.record.cli import record, repair


@click.group()
def main() -> None:
    """gaitlab recorder commands."""


main.add_command(record)
main.add_command(repair)

if __name__ == "__main__":
    main()
