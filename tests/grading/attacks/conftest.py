"""The attack notebooks are hostile code: never collect them (pytest --nbval would run them unsandboxed)."""

collect_ignore_glob = ["fixtures/*"]
