"""Allow ``python -m marketsim``."""

from marketsim.cli import app

if __name__ == "__main__":
    app()
