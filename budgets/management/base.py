"""Base class of the operator commands: bad arguments exit 1, as spec/commands.md requires."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

OUTPUT_NO_DIRECTORY = "无法写入输出文件 {path}：目录 {directory} 不存在"
OUTPUT_PARENT_NOT_DIRECTORY = "无法写入输出文件 {path}：{directory} 不是目录"
OUTPUT_IS_DIRECTORY = "无法写入输出文件 {path}：这是一个目录"
OUTPUT_NOT_PERMITTED = "无法写入输出文件 {path}：没有写入权限"
OUTPUT_FAILED = "无法写入输出文件 {path}：{reason}"


def _output_error(path: Path, exc: OSError) -> CommandError:
    """The reason, in the operator's terms, that `path` cannot be written."""
    directory = path.parent
    if path.is_dir():
        return CommandError(OUTPUT_IS_DIRECTORY.format(path=path))
    if not directory.exists():
        return CommandError(OUTPUT_NO_DIRECTORY.format(path=path, directory=directory))
    if not directory.is_dir():
        return CommandError(OUTPUT_PARENT_NOT_DIRECTORY.format(path=path, directory=directory))
    if isinstance(exc, PermissionError):
        return CommandError(OUTPUT_NOT_PERMITTED.format(path=path))
    return CommandError(OUTPUT_FAILED.format(path=path, reason=exc.strerror or exc))


@contextmanager
def output_file(path: str | Path) -> Iterator[Path]:
    """A temporary file beside `path` to write to, moved onto `path` once written.

    A bad path (no such directory, a directory, no permission) is a CommandError naming it,
    raised before any work; a failure while writing leaves neither a half-written file nor
    the temporary one.
    """
    path = Path(path)
    if path.is_dir():
        raise CommandError(OUTPUT_IS_DIRECTORY.format(path=path))
    try:
        # Same directory, so the final rename is atomic; same suffix for writers that look.
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix
        )
    except OSError as exc:
        raise _output_error(path, exc) from exc
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        # mkstemp makes the file private (0600); an export gets the usual umask permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary_path, 0o666 & ~umask)
        os.replace(temporary_path, path)
    except OSError as exc:
        raise _output_error(path, exc) from exc
    finally:
        temporary_path.unlink(missing_ok=True)


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
