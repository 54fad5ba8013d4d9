"""Word templates are written by users, so their fields are code that users wrote: they are read
before use, and rendered in a sandbox.

- `check` reads every part docxtpl renders (the body, page headers and footers, footnotes, the
  file's properties), as docxtpl will hand it to Jinja (after its `patch_xml`), and walks each
  part's syntax tree: only the documented fields (`fields.CONTEXTS`), the allowed filters and
  tests, `for`/`if`/`with`/`set`, comparisons and a little arithmetic pass. No call, no name
  starting with "_", no attribute the context does not provide, no include/import/extends/macro,
  no loop over anything but the document's lists, nested at most two deep.
- `check` also refuses content linked from outside the file (a picture, a frame, an object):
  LibreOffice fetches a linked picture when it prints the PDF, so a template could show any
  image on the server, or make the worker fetch any address of its network. Hyperlinks pass.
- `Environment` renders with Jinja's immutable sandbox, without globals, with the allowed filters
  and tests only, and runs the same check on each part before compiling it: a template stored
  before the check existed is never rendered unchecked. A part's output is bounded in size.

Pure: docxtpl and Jinja, no Django.
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NoReturn

import jinja2
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docxtpl import DocxTemplate
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from steer.documents.fields import CONTEXTS, FILTERS, LINES, LOOP, TESTS, TEXT, Sections

MAX_LOOP_NESTING = 2  # the built-in templates nest two: a table's rows inside an objective
MAX_LOOPS = 200  # in one part; the built-in synthesis has 22
MAX_DEPTH = 40  # statements and expressions inside one another
MAX_OUTPUT = 50_000_000  # characters of XML from one part; the H1 2024 synthesis makes 0.5 M
# The core properties docxtpl renders are some of these; all are read, in case a release
# renders more.
PROPERTIES = (
    "author",
    "category",
    "comments",
    "content_status",
    "identifier",
    "keywords",
    "language",
    "last_modified_by",
    "subject",
    "title",
    "version",
)
FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
ROOTS = {"w:body": "body", "w:hdr": "header", "w:ftr": "footer", "w:footnotes": "footnotes"}
ROOTS_BY_NAME = {
    "document": "body",
    "header": "header",
    "footer": "footer",
    "footnotes": "footnotes",
}
STATEMENTS: dict[type[nodes.Node], str] = {
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.Scope: "{% autoescape %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.EvalContextModifier: "{% autoescape %}",
    nodes.ExprStmt: "{% do %}",
}


@dataclass
class Refusal(Exception):
    """Why a template cannot be used, and where. reason: a code (services words it); shown: the
    expression or statement refused, or the parser's message; part: body, header, footer,
    footnotes or property:<name>; line: the line of the part's text (about its paragraph)."""

    reason: str
    shown: str
    part: str = "body"
    line: int = 0
    excerpt: str = ""
    layout: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.shown} ({self.part}, line {self.line})"


class TooLarge(Exception):
    """A part's output passed MAX_OUTPUT characters."""


# -- the parts docxtpl renders -------------------------------------------------------------------


def _as_rendered(xml: str) -> str:
    # docxtpl's render_xml_part puts each paragraph on a line of its own before Jinja reads it.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


def sources(document: DocxTemplate) -> Iterator[tuple[str, str]]:
    """(part, Jinja source) for each part docxtpl renders (DocxTemplate.render)."""
    document.init_docx()
    yield "body", _as_rendered(document.patch_xml(document.get_xml()))
    for uri, part_name in ((document.HEADER_URI, "header"), (document.FOOTER_URI, "footer")):
        for _key, part in document.get_headers_footers(uri):
            yield part_name, _as_rendered(document.patch_xml(document.get_part_xml(part)))
    properties = document.docx.core_properties
    for name in PROPERTIES:
        value = getattr(properties, name, None)
        if isinstance(value, str) and value:
            yield f"property:{name}", value
    for part in document.docx.part.package.parts:
        if part.content_type == FOOTNOTES:
            blob = part.blob
            xml = blob.decode("utf-8") if isinstance(blob, bytes) else blob
            yield "footnotes", _as_rendered(document.patch_xml(xml))


def part_of(source: str) -> str:
    """Which part a source handed to Jinja comes from, by its root element."""
    found = re.match(r"\s*(?:<\?xml[^>]*>\s*)?<([\w:]+)", source)
    return ROOTS.get(found.group(1), "property") if found else "property"


# -- the check ----------------------------------------------------------------------------------

_PARSER = jinja2.Environment()  # the syntax of Environment below: Jinja's defaults


def check(document: DocxTemplate, layout: str) -> None:
    """Raise Refusal unless every part of the template uses only what its layout documents,
    and it links to nothing outside itself."""
    check_links(document)
    for part, source in sources(document):
        check_source(source, part, layout)


def check_links(document: DocxTemplate) -> None:
    document.init_docx()
    package = document.docx.part.package
    owners = [(None, package.rels), *((p, p.rels) for p in package.iter_parts())]
    for part, rels in owners:
        for rel in rels.values():
            if rel.is_external and rel.reltype != RT.HYPERLINK:
                where = ROOTS_BY_NAME.get(re.sub(r"[0-9]*\.xml$", "", _name(part)), "file")
                raise Refusal("link", rel.target_ref, where)


def _name(part) -> str:
    return str(part.partname).rpartition("/")[2] if part is not None else ""


def check_source(source: str, part: str, layout: str) -> None:
    try:
        tree = _PARSER.parse(source)
    except jinja2.TemplateSyntaxError as error:
        refusal = Refusal("syntax", error.message or "", part, layout=layout)
        raise _placed(refusal, source, error.lineno) from None
    except RecursionError:
        raise Refusal("depth", "", part, layout=layout) from None
    except Exception as error:  # e.g. a number too long to read
        raise Refusal("syntax", str(error), part, layout=layout) from None
    walker = _Walker(CONTEXTS[layout])
    try:
        walker.statements(tree.body)
    except Refusal as refusal:
        refusal.part, refusal.layout = part, layout
        raise _placed(refusal, source, refusal.line) from None
    except RecursionError:
        raise Refusal("depth", "", part, layout=layout) from None


def _placed(refusal: Refusal, source: str, line: int | None) -> Refusal:
    refusal.line = line or 0
    if refusal.line:
        lines = source.splitlines()
        if refusal.line <= len(lines):
            text = " ".join(re.sub(r"<[^>]+>", "", lines[refusal.line - 1]).split())
            refusal.excerpt = text if len(text) <= 90 else text[:89] + "…"
    return refusal


class _Walker:
    """Walks a template's tree, knowing the kind (fields.py) of every name in scope."""

    def __init__(self, context: dict):
        self.context = context
        self.scopes: list[dict] = [{}]
        self.loops = 0
        self.nesting = 0
        self.depth = 0

    def refuse(self, reason: str, node: nodes.Node, shown: str | None = None) -> NoReturn:
        # A {% autoescape %} block's outer node has no line; its first inner one has.
        lines = (n.lineno for n in (node, *node.find_all(nodes.Node)) if n.lineno)
        shown = shown if shown is not None else _shown(node)
        raise Refusal(reason, shown, line=next(lines, 0))

    def deeper(self, node: nodes.Node) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.refuse("depth", node, "")

    # statements

    def statements(self, body: Sequence[nodes.Node]) -> None:
        for node in body:
            self.statement(node)

    def statement(self, node: nodes.Node) -> None:
        self.deeper(node)
        if isinstance(node, nodes.Output):
            for item in node.nodes:
                if not isinstance(item, nodes.TemplateData):
                    self.expression(item)
        elif isinstance(node, nodes.If):
            self.expression(node.test)
            self.statements(node.body)
            self.statements(node.elif_)
            self.statements(node.else_)
        elif isinstance(node, nodes.For):
            self.loop(node)
        elif isinstance(node, nodes.With):
            values = [self.expression(value) for value in node.values]
            names = {}
            for target, kind in zip(node.targets, values, strict=True):
                if not isinstance(target, nodes.Name):
                    self.refuse("statement", node, "{% with %}")
                names[target.name] = kind
            self.scoped(names, node.body)
        elif isinstance(node, nodes.Assign):
            if not isinstance(node.target, nodes.Name):
                self.refuse("statement", node, "{% set %}")
            self.scopes[-1][node.target.name] = self.expression(node.node)
        elif isinstance(node, nodes.AssignBlock):
            if not isinstance(node.target, nodes.Name) or node.filter is not None:
                self.refuse("statement", node, "{% set %}")
            self.statements(node.body)
            self.scopes[-1][node.target.name] = TEXT
        else:
            shown = STATEMENTS.get(type(node), f"{{% {type(node).__name__.lower()} %}}")
            self.refuse("statement", node, shown)
        self.depth -= 1

    def loop(self, node: nodes.For) -> None:
        self.loops += 1
        if self.loops > MAX_LOOPS:
            self.refuse("loops", node, f"{{% for … in {_shown(node.iter)} %}}")
        kind = self.expression(node.iter)
        if not isinstance(kind, list) or not isinstance(node.target, nodes.Name) or node.recursive:
            self.refuse("loop", node, f"{{% for … in {_shown(node.iter)} %}}")
        if self.nesting >= MAX_LOOP_NESTING:
            self.refuse("nesting", node, f"{{% for … in {_shown(node.iter)} %}}")
        names = {node.target.name: kind[0]}
        if node.test is not None:
            self.scopes.append(names)
            self.expression(node.test)
            self.scopes.pop()
        self.nesting += 1
        self.scoped({**names, "loop": LOOP}, node.body)
        self.nesting -= 1
        self.statements(node.else_)

    def scoped(self, names: dict, body: Sequence[nodes.Node]) -> None:
        self.scopes.append(dict(names))
        self.statements(body)
        self.scopes.pop()

    # expressions: each returns the kind of its value (fields.py)

    def expression(self, node: nodes.Node):
        self.deeper(node)
        kind = self._expression(node)
        self.depth -= 1
        return kind

    def _expression(self, node: nodes.Node):
        if isinstance(node, nodes.Name):
            for scope in reversed(self.scopes):
                if node.name in scope:
                    return scope[node.name]
            if node.name in self.context:
                return self.context[node.name]
            self.refuse("name", node)
        if isinstance(node, nodes.Const):
            if not isinstance(node.value, str | int | float | bool | None):
                self.refuse("expression", node)
            return TEXT
        if isinstance(node, nodes.Getattr):
            return self.member(node, self.expression(node.node), node.attr)
        if isinstance(node, nodes.Getitem):
            return self.item(node)
        if isinstance(node, nodes.Filter):
            return self.filter(node)
        if isinstance(node, nodes.Test):
            self.expression(node.node)
            if node.name not in TESTS or node.kwargs or node.dyn_args or node.dyn_kwargs:
                self.refuse("test", node)
            for argument in node.args:
                self.expression(argument)
            return TEXT
        if isinstance(node, nodes.Call):
            self.refuse("call", node)
        if isinstance(node, nodes.Mul):
            if not (_is_number(node.left) and _is_number(node.right)):
                self.refuse("operator", node)
            return TEXT
        if isinstance(node, nodes.Mod | nodes.Pow):
            self.refuse("operator", node)
        if isinstance(node, nodes.BinExpr | nodes.Compare | nodes.Concat | nodes.UnaryExpr):
            for child in node.iter_child_nodes():
                self.expression(child)
            return TEXT
        if isinstance(node, nodes.Operand):
            return self.expression(node.expr)
        if isinstance(node, nodes.CondExpr):
            self.expression(node.test)
            kinds = [self.expression(e) for e in (node.expr1, node.expr2) if e is not None]
            return kinds[0] if len(kinds) == 2 and kinds[0] == kinds[1] else TEXT
        if isinstance(node, nodes.List | nodes.Tuple):
            kinds = [self.expression(item) for item in node.items]
            return [kinds[0]] if kinds and all(k == kinds[0] for k in kinds) else LINES
        self.refuse("expression", node)

    def member(self, node: nodes.Node, kind, name: str):
        """A field of a record, a section of the text, or nothing."""
        if isinstance(kind, dict) and name in kind:
            return kind[name]
        if isinstance(kind, Sections) and kind.has(name):
            return LINES
        self.refuse("field", node)

    def item(self, node: nodes.Getitem):
        kind = self.expression(node.node)
        arg = node.arg
        if isinstance(arg, nodes.Slice):
            for bound in (arg.start, arg.stop, arg.step):
                if bound is not None and not _is_integer(bound):
                    self.refuse("field", node)
            return kind if isinstance(kind, list) or kind == TEXT else self.refuse("field", node)
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            return self.member(node, kind, arg.value)
        if _is_integer(arg) and (isinstance(kind, list) or kind == TEXT):
            return kind[0] if isinstance(kind, list) else TEXT
        self.refuse("field", node)

    def filter(self, node: nodes.Filter):
        if node.node is None:  # only a {% filter %} block's has none, and blocks are refused
            self.refuse("filter", node)
        kind = self.expression(node.node)
        most = FILTERS.get(node.name)
        if most is None:
            self.refuse("filter", node)
        if (
            len(node.args) > most
            or node.kwargs
            or node.dyn_args
            or node.dyn_kwargs
            or not all(_is_plain(argument) for argument in node.args)
        ):
            self.refuse("filter_arguments", node)
        if node.name in ("first", "last"):
            return kind[0] if isinstance(kind, list) else TEXT
        if node.name in ("d", "default"):
            return kind
        return TEXT


def _is_integer(node: nodes.Node) -> bool:
    if isinstance(node, nodes.Neg):
        node = node.node
    return isinstance(node, nodes.Const) and type(node.value) is int


def _is_plain(node: nodes.Node) -> bool:
    """A literal value: text, a number, true/false/none."""
    if isinstance(node, nodes.Neg):
        node = node.node
    return isinstance(node, nodes.Const) and isinstance(node.value, str | int | float | bool | None)


def _is_number(node: nodes.Node) -> bool:
    """A number known not to be text (so `*` cannot repeat a string): a literal or loop.*"""
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return node.node.name == "loop" and node.attr in LOOP
    return isinstance(node, nodes.Const) and type(node.value) in (int, float)


def _shown(node: nodes.Node) -> str:
    """An expression written back as a template would have it, for the message."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        return f'"{node.value}"' if isinstance(node.value, str) else repr(node.value)
    if isinstance(node, nodes.Getattr):
        return f"{_shown(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_shown(node.node)}[{_shown(node.arg)}]"
    if isinstance(node, nodes.Slice):
        bounds = [node.start, node.stop] + ([node.step] if node.step else [])
        return ":".join("" if b is None else _shown(b) for b in bounds)
    if isinstance(node, nodes.Call):
        return f"{_shown(node.node)}(…)"
    if isinstance(node, nodes.Filter):
        arguments = "(…)" if node.args or node.kwargs else ""
        return f"{_shown(node.node) if node.node else '…'}|{node.name}{arguments}"
    if isinstance(node, nodes.Test):
        return f"{_shown(node.node)} is {node.name}"
    if isinstance(node, nodes.BinExpr):
        return f"{_shown(node.left)} {node.operator} {_shown(node.right)}"
    if isinstance(node, nodes.UnaryExpr):
        return f"{node.operator}{_shown(node.node)}"
    if isinstance(node, nodes.List | nodes.Tuple):
        return "[" + ", ".join(_shown(item) for item in node.items) + "]"
    if isinstance(node, nodes.Dict):
        return "{…}"
    return type(node).__name__


# -- rendering ----------------------------------------------------------------------------------


class _Bounded(jinja2.Template):
    def render(self, *args, **kwargs) -> str:
        parts, size = [], 0
        for chunk in self.generate(*args, **kwargs):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TooLarge
            parts.append(chunk)
        return "".join(parts)


class Environment(ImmutableSandboxedEnvironment):
    """The only environment a user's template is rendered in (see the module's docstring)."""

    template_class = _Bounded

    def __init__(self, layout: str):
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined)
        self.layout = layout
        self.globals.clear()  # range, lipsum, dict, cycler, joiner, namespace
        self.filters = {name: f for name, f in self.filters.items() if name in FILTERS}
        self.tests = {name: t for name, t in self.tests.items() if name in TESTS}

    def from_string(self, source, globals=None, template_class=None):
        check_source(source, part_of(source), self.layout)
        return super().from_string(source, globals, template_class)
