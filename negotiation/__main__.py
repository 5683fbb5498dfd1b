"""``python -m negotiation``: the ``negotiation`` command line.

The command line lives in the batch layer (:mod:`experiments.cli`); it is imported only
when this module runs as a script, so the domain never imports the batch layer.
"""


def main() -> int:
    """Run the ``negotiation`` command with this process's arguments."""
    from experiments.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
