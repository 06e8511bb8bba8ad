"""Import circles among robustprune's modules, read from the source with ``ast`` (nothing is imported).

An edge a → b means module a imports module b: ``import robustprune.b``, ``from robustprune import b``
(b a submodule), or ``from robustprune.b import name``. Importing a submodule also runs its parent
packages' ``__init__``, but that is no edge here: a package that re-exports its modules would otherwise
be a circle with each of them (a module that names its own package, ``from robustprune.prune import
PruneConfig`` inside ``robustprune.prune.krp``, is one). An import inside a function (or under
``if TYPE_CHECKING:``) runs later, or never: it is no module-level edge, but it still ties the two
modules together, so both graphs are reported:

    python -m robustprune.devtools.import_cycles          # module-level circles, then with function-level imports

A circle is reported as a strongly connected component of more than one module (or a module that
imports itself), with one shortest path around it; the exit status is the number of circles found
when function-level imports are counted.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from pathlib import Path

def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root`` (the package folder)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_in(tree: ast.AST, in_function: bool = False):
    """(import node, whether it sits inside a function) for every import, skipping TYPE_CHECKING blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_function
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from imports_in(node, inner)


def import_graph(root: Path, function_level: bool) -> dict[str, set[str]]:
    """Module -> the robustprune modules it imports (at module level, or anywhere with ``function_level``)."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, in_function in imports_in(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if in_function and not function_level:
                continue
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.append(submodule if submodule in modules else base)
            graph[name].update(target for target in targets if target in modules)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, each sorted; only those that are circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def shortest_circle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One shortest way around a component, from its first module back to it."""
    members, start = set(component), component[0]
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node] & members):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, start]
            if target not in previous:
                previous[target] = node
                queue.append(target)
    return component


def circles(root: Path | None = None, function_level: bool = False) -> list[tuple[list[str], list[str]]]:
    """The circles of robustprune's import graph: (the modules of a component, one shortest path around it)."""
    root = root or Path(__file__).resolve().parents[1]
    graph = import_graph(root, function_level)
    return [(component, shortest_circle(graph, component)) for component in strongly_connected(graph)]


def main() -> int:
    counts = []
    for function_level, title in ((False, "module-level imports"), (True, "with imports inside functions")):
        found = circles(function_level=function_level)
        counts.append(len(found))
        print(f"{len(found)} import circle(s), {title}")
        for component, path in found:
            print(f"  {len(component)} modules: {', '.join(component)}\n    e.g. {' -> '.join(path)}")
    return counts[-1]


if __name__ == "__main__":
    raise SystemExit(main())
