"""The module-level functions a socket_utils.py declares, read with ast (never imported, never run).

Usage: python3 -I signatures.py FILE
Prints one JSON document: {"functions": {name: {"params": [[name, has_default], ...],
"text": "name(a, b=1) -> bytes"}}, "names": [other module-level names]} or {"error": "..."}.

The grader compares a hand-in's declarations with the course starter's: server.py and client.py
call these functions by name and position, so a renamed function or a changed parameter list is
something the course app would trip over, whatever the kit's own runner does.
"""
import ast
import json
import sys


def params_of(args: ast.arguments) -> list:
    positional = list(args.posonlyargs) + list(args.args)
    first_default = len(positional) - len(args.defaults)
    out = [[a.arg, i >= first_default] for i, a in enumerate(positional)]
    if args.vararg is not None:
        out.append(["*" + args.vararg.arg, True])
    for a, default in zip(args.kwonlyargs, args.kw_defaults):
        out.append([a.arg, default is not None])
    if args.kwarg is not None:
        out.append(["**" + args.kwarg.arg, True])
    return out


def text_of(node) -> str:
    positional = list(node.args.posonlyargs) + list(node.args.args)
    first_default = len(positional) - len(node.args.defaults)
    parts = []
    for i, a in enumerate(positional):
        if i >= first_default:
            parts.append(f"{a.arg}={ast.unparse(node.args.defaults[i - first_default])}")
        else:
            parts.append(a.arg)
    if node.args.vararg is not None:
        parts.append("*" + node.args.vararg.arg)
    for a, default in zip(node.args.kwonlyargs, node.args.kw_defaults):
        parts.append(a.arg if default is None else f"{a.arg}={ast.unparse(default)}")
    if node.args.kwarg is not None:
        parts.append("**" + node.args.kwarg.arg)
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{node.name}({', '.join(parts)}){returns}"


def main() -> None:
    try:
        with open(sys.argv[1], "rb") as f:
            tree = ast.parse(f.read(), filename="socket_utils.py")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return
    functions = {}
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = {"params": params_of(node.args), "text": text_of(node)}
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    print(json.dumps({"functions": functions, "names": names}))


if __name__ == "__main__":
    main()
