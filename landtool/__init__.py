"""landtool: checks land parcels against Zhejiang's 腾笼换鸟、凤凰涅槃 industrial-land policies."""

__version__ = "0.1.0"
