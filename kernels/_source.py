"""Kernel versions from code: a digest of the source that defines a kernel's behaviour.

A stored run is evidence only for the code that produced it. Instead of a version
string kept by hand (and forgotten), a kernel's version is a SHA-256 digest of its
source: for a catalogue kernel, the files of its package's ``__init__.py`` (inputs,
reference, check) and, per backend, the implementation module's files; for a kernel
defined with :class:`accel.Kernel`, the source of its functions.

A file's "files" are the file itself, every module it imports relatively
(``from . import X``, ``from ._numba_rows import evolve``, ``from .._cuda import ...``),
followed to the end, and every file beside it that it names in a string
(``Path(__file__).with_name("c_native.c")``). Python files are digested as their
syntax tree without docstrings, so a reformat, a comment or a docstring edit keeps
stored runs; a changed statement, constant or C line makes them stale.

This is hand-written rather than taken from a library: what counts as "the source
that defines a kernel" is this project's own rule (pip's and setuptools' hashes
digest whole distributions, which would make every run stale at every commit).

>>> from accel.kernels import get_kernel
>>> len(get_kernel("julia").version_for("numba_cpu"))
12
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import marshal
import os
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

#: The catalogue's contract (KernelSpec and friends) and this module: imported by every
#: kernel, they describe kernels and define no kernel's behaviour.
_CONTRACT = {str(Path(__file__).resolve()), str(Path(__file__).with_name("__init__.py").resolve())}

#: Hex digits kept of a digest: 48 bits, ample to tell one kernel's revisions apart.
DIGEST_LENGTH = 12


def digest(*parts: str) -> str:
    """A short SHA-256 digest of ``parts`` (joined unambiguously)."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode()
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()[:DIGEST_LENGTH]


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def python_text(source: str) -> str:
    """What of Python ``source`` defines behaviour: its syntax tree, docstrings left out.

    Source that does not parse is taken as it is.
    """
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return source
    return ast.dump(_without_docstrings(tree), annotate_fields=False)


def _relative_imports(tree: ast.AST, path: Path) -> Iterable[Path]:
    """Files of the modules that ``tree`` (the module at ``path``) imports relatively."""
    package = path.parent
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package
        for _ in range(node.level - 1):
            base = base.parent
        if node.module:
            base = base.joinpath(*node.module.split("."))
            candidates = [base.with_suffix(".py"), base / "__init__.py"]
        else:  # from . import a, b: submodules, or names of the package itself
            candidates = [base / "__init__.py"]
            candidates += [base / f"{alias.name}.py" for alias in node.names]
        yield from (c for c in candidates if c.is_file())


def _named_siblings(tree: ast.AST, path: Path) -> Iterable[Path]:
    """Files beside ``path`` that its code names in a string (a C or CUDA source)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
            if "." in name.strip(".") and "/" not in name and len(name) < 100:
                sibling = path.with_name(name)
                if sibling != path and sibling.is_file():
                    yield sibling


@functools.lru_cache(maxsize=512)
def _file_facts(path: str, mtime_ns: int, size: int) -> tuple[str, tuple[str, ...]]:
    """(text that defines behaviour, files it depends on) for one file; cached by mtime."""
    file = Path(path)
    raw = file.read_bytes().decode("utf-8", errors="replace")
    if file.suffix != ".py":
        return raw, ()
    try:
        tree = ast.parse(raw)
    except SyntaxError:
        return raw, ()
    depends = {*_relative_imports(tree, file), *_named_siblings(tree, file)}
    text = ast.dump(_without_docstrings(tree), annotate_fields=False)
    return text, tuple(sorted({str(p.resolve()) for p in depends} - _CONTRACT))


def _facts(path: Path) -> tuple[str, tuple[str, ...]]:
    stat = path.stat()
    return _file_facts(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def files_of(path: str | os.PathLike[str]) -> list[Path]:
    """``path`` and every file it depends on (relative imports, named siblings), sorted."""
    seen: set[str] = set()
    pending = [str(Path(path).resolve())]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        pending.extend(_facts(Path(current))[1])
    return [Path(p) for p in sorted(seen)]


def files_digest(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """The digest of ``path`` and the files it depends on, each named relative to ``root``.

    Naming files relative to the catalogue's folder keeps the digest the same wherever
    accel is installed.
    """
    parts = []
    for file in files_of(path):
        try:
            name = str(file.relative_to(Path(root).resolve()))
        except ValueError:
            name = file.name
        parts += [name, _facts(file)[0]]
    return digest(*parts)


def function_source(function: Callable[..., Any]) -> str | None:
    """The source of ``function`` (a notebook cell's too), dedented; None where Python has none."""
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None


def _code_text(code: Any) -> str:
    """A stand-in for source that Python cannot find: the compiled code, line numbers aside."""
    consts = [_code_text(c) if inspect.iscode(c) else repr(c) for c in code.co_consts]
    return repr((marshal.dumps(code.co_code), consts, code.co_names, code.co_varnames))


def global_names(code: Any) -> list[str]:
    """The names ``code`` and the code nested in it (comprehensions, inner functions) use."""
    names = list(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names += global_names(const)
    return list(dict.fromkeys(names))


def function_text(function: Callable[..., Any]) -> str:
    """What defines ``function``'s behaviour: its syntax tree, or its bytecode without source.

    Functions of the same module that it calls by name are included, followed to the
    end, so editing a helper makes the runs of its caller stale too.
    """
    texts, seen, pending = [], set(), [function]
    while pending:
        current = pending.pop()
        current = getattr(current, "py_func", current)  # a numba dispatcher's Python function
        if id(current) in seen or not inspect.isfunction(current):
            continue
        seen.add(id(current))
        source = function_source(current)
        texts.append(python_text(source) if source else _code_text(current.__code__))
        module = current.__module__
        for name in global_names(current.__code__):
            helper = current.__globals__.get(name)
            helper = getattr(helper, "py_func", helper)
            if inspect.isfunction(helper) and helper.__module__ == module:
                pending.append(helper)
    return "\n".join(texts)
