"""The package follows the data flow: no module imports from a layer after its own."""

from __future__ import annotations

import ast
from pathlib import Path

import annotator

PACKAGE = Path(annotator.__file__).resolve().parent

#: the layers in data-flow order, each a list of module prefixes; the shared modules come first
LAYERS: list[list[str]] = [
    [
        "annotator",
        "annotator.arabic",
        "annotator.atomic",
        "annotator.errors",
        "annotator.model",
        "annotator.paths",
        "annotator.patterns",
    ],
    ["annotator.rules"],
    ["annotator.matchers"],
    ["annotator.resolve"],
    ["annotator.engine", "annotator.pack_cache"],
    ["annotator.corpus"],
    ["annotator.doccano"],
    ["annotator.export"],
    ["annotator.evaluation"],
    ["annotator.cli", "annotator.__main__"],
]

#: the imports forward that are meant, with the reason
ALLOWED_FORWARD = {
    # a pack's examples are checked by annotating them: the engine runs the rules it is checking
    ("annotator.rules.examples", "annotator.engine"),
}


def _layer(module: str) -> int:
    """The index of the layer ``module`` belongs to: its longest matching prefix."""
    best, best_length = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def _module_name(path: Path) -> str:
    parts = ["annotator", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    """Every ``annotator`` module ``path`` imports, at the top or inside functions."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.add(name)
            # ``from annotator import engine`` imports the module annotator.engine
            found.update(f"{name}.{alias.name}" for alias in node.names if (PACKAGE / alias.name).exists())
    return {name for name in found if name == "annotator" or name.startswith("annotator.")}


def _violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if module.endswith("doccano_launcher"):
            continue  # run by doccano's own interpreter, imports nothing of the annotator
        for imported in sorted(_imports(path, module)):
            if _layer(imported) > _layer(module) and not any(
                module.startswith(source) and imported.startswith(target)
                for source, target in ALLOWED_FORWARD
            ):
                problems.append(f"{module} imports {imported}, a later layer")
    return problems


def test_no_module_imports_from_a_later_layer() -> None:
    assert _violations() == []


def test_every_module_belongs_to_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        _layer(_module_name(path))


def test_a_forward_import_is_found(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from annotator.evaluation.evaluate import evaluate\n", encoding="utf-8")
    imported = _imports(source, "annotator.rules.probe")
    assert imported == {"annotator.evaluation.evaluate"}
    assert _layer("annotator.evaluation.evaluate") > _layer("annotator.rules.probe")


def test_every_package_opens_with_a_paragraph() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and len(docstring.split()) >= 12, f"{init} has no opening paragraph"
