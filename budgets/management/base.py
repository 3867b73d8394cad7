"""Base class of the operator commands: bad arguments exit 1, as spec/commands.md requires."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError


class OperatorCommand(BaseCommand):
    """argparse exits 2 on a bad argument; the operator contract says 1 for any bad input."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str) -> None:
            if getattr(parser, "called_from_command_line", False):
                parser.print_usage(sys.stderr)
                sys.stderr.write(f"{parser.prog}: error: {message}\n")
                sys.exit(1)
            raise CommandError(f"Error: {message}")

        parser.error = error
        return parser
