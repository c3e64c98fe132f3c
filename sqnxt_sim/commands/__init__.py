"""Further CLI commands, one module per family, each adding commands to ``cli.main``."""
