"""Run by test_wheel_isolation.py with the interpreter of a fresh venv holding one installed wheel.

Usage: ``python -I -W error wheel_probe.py OUT DIST MODULE [MODULE ...]`` where OUT is the JSON file to write,
DIST is the distribution under test
and the MODULEs are sibling packages it does not declare (they must not be importable).
It never raises for a finding; everything it learns goes into OUT (imported code may print to stdout).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import sys
import traceback


def main() -> None:
    out, dist_name, *undeclared = sys.argv[1:]
    dist = importlib.metadata.distribution(dist_name)
    modules: list[str] = []
    for file in dist.files or []:
        parts = file.parts
        if parts[0] != "horde_sdk" or file.suffix != ".py":
            continue
        dotted = [*parts[:-1], file.stem] if file.stem != "__init__" else list(parts[:-1])
        modules.append(".".join(dotted))

    import_errors: dict[str, str] = {}
    for module in sorted(set(modules)):
        try:
            importlib.import_module(module)
        except BaseException:  # every failure is a finding, reported with its traceback
            import_errors[module] = traceback.format_exc()

    importable_undeclared: list[str] = []
    for module in undeclared:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        importable_undeclared.append(module)

    installed = {}
    for other in importlib.metadata.distributions():
        name = other.metadata["Name"]
        installed[name] = {"version": other.version, "direct_url": other.read_text("direct_url.json")}

    result = {
        "modules": sorted(set(modules)),
        "import_errors": import_errors,
        "importable_undeclared": importable_undeclared,
        "packages_distributions": importlib.metadata.packages_distributions(),
        "stdlib": sorted(sys.stdlib_module_names),
        "installed": installed,
    }
    with open(out, "w", encoding="utf-8") as handle:  # noqa: PTH123 - keep the probe's imports minimal
        json.dump(result, handle)


if __name__ == "__main__":
    main()
