"""podctl: talk to a pod over serial. The serial link and its commands are not built yet."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print("podctl: not built yet. The serial link, flash, deploy and monitor commands arrive "
          "with the host-tools work; run the simulator with `pod-sim night` meanwhile.",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
