"""One audit vocabulary: every action the code records on a steering record (Event) is one of
Event.Action, each with its Vietnamese label, and every one of them is recorded somewhere.

The calls are found by reading the source (ast), so a new `record(…, "moved", …)` anywhere in
steer fails here before it reaches a page as a raw code."""

import ast
import functools
from pathlib import Path

import pytest
from django.utils import translation

from steer.core.models import Event
from steer.core.services import record
from steer.steering.models import Recommendation

STEER = Path(__file__).resolve().parent.parent / "steer"


@functools.cache
def _trees() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(STEER)): ast.parse(path.read_text(encoding="utf-8"))
        for path in STEER.rglob("*.py")
        if "migrations" not in path.parts
    }


def _action_argument(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _record_names(file: str, tree: ast.Module) -> set[str]:
    """How core's `record` is called in a file (documents has a `record` of its own)."""
    names = {"record"} if file == "core/services.py" else set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "steer.core.services":
            names |= {a.asname or a.name for a in node.names if a.name == "record"}
        if isinstance(node, ast.ImportFrom) and node.module == "steer.core":
            names |= {f"{a.asname or a.name}.record" for a in node.names if a.name == "services"}
    return names


def _called(call: ast.Call) -> str:
    """What a call calls, as written: `record`, `services.record`, `self.event`."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


@functools.cache
def _calls(file: str) -> list[tuple[ast.Call, str, ast.FunctionDef | None]]:
    """Each call of a file, what it calls, and the function it is in (None: the module)."""
    found = []

    def visit(node: ast.AST, function: ast.FunctionDef | None) -> None:
        if isinstance(node, ast.FunctionDef):
            function = node
        elif isinstance(node, ast.Call):
            found.append((node, _called(node), function))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(_trees()[file], None)
    return found


@functools.cache
def recorded_actions() -> list[tuple[str, int, str]]:
    """(file, line, action) of every event recorded in steer, the action as written when it is
    neither a literal nor a member of Event.Action. A method that hands its own parameter on
    as the action (the demo's `self.event`) records too: its callers are read in turn."""
    trees = _trees()
    recorders = {file: dict.fromkeys(_record_names(file, tree), 2) for file, tree in trees.items()}
    found: dict[tuple[str, int, int], str] = {}
    grown = True
    while grown:
        grown = False
        for file in trees:
            for call, called, function in _calls(file):
                position = recorders[file].get(called)
                if position is None:
                    continue
                action = _action_argument(call, position)
                parameters = [a.arg for a in function.args.args] if function else []
                handed_on = isinstance(action, ast.Name) and action.id in parameters
                if handed_on and parameters[:1] == ["self"]:
                    method = f"self.{function.name}"
                    grown |= method not in recorders[file]
                    recorders[file][method] = parameters.index(action.id) - 1
                    continue
                found[(file, call.lineno, call.col_offset)] = _value(action)
    return [(file, line, action) for (file, line, _col), action in sorted(found.items())]


def _value(action: ast.expr | None) -> str:
    if isinstance(action, ast.Constant):
        return action.value
    if (
        isinstance(action, ast.Attribute)
        and ast.unparse(action.value) in ("Event.Action", "Action")
        and action.attr in Event.Action.names
    ):
        return Event.Action[action.attr].value
    return ast.unparse(action) if action is not None else "(none)"


def test_every_action_recorded_in_the_code_is_one_of_the_vocabulary():
    found = recorded_actions()
    outside = [f"{f}:{line} {a}" for f, line, a in found if a not in Event.Action.values]
    assert not outside, "actions recorded outside Event.Action: " + ", ".join(outside)
    # The scan found the services' calls and the demo's, not nothing.
    files = {file for file, _line, _action in found}
    assert files >= {"steering/services.py", "reporting/services.py", "demo/steering.py"}


def test_every_action_of_the_vocabulary_is_recorded_by_a_service():
    in_services = {a for file, _l, a in recorded_actions() if file.endswith("services.py")}
    assert in_services == set(Event.Action.values)


def test_events_are_written_only_through_record():
    writes = {"Event.objects.create", "Event.objects.bulk_create", "Event"}
    writers = [
        file
        for file, tree in _trees().items()
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute | ast.Name)
        and ast.unparse(call.func) in writes
    ]
    assert writers == ["core/services.py"]  # the one in `record`


def test_an_action_outside_the_vocabulary_is_refused_when_recorded(programme):
    with pytest.raises(ValueError):
        record(programme, None, "moved")


def test_every_action_has_a_vietnamese_label():
    with translation.override("en"):
        english = {code: str(label) for code, label in Event.Action.choices}
    with translation.override("vi"):
        vietnamese = {code: str(label) for code, label in Event.Action.choices}
    assert all(vietnamese[code] != english[code] for code in english), vietnamese
    assert vietnamese["given"] == "Giao ý kiến chỉ đạo"
    assert vietnamese["routed"] == "Đã xem xét, chuyển xử lý"


@pytest.mark.django_db
def test_the_demo_records_hold_only_actions_of_the_vocabulary():
    assert Event.objects.exists()
    assert not Event.objects.exclude(action__in=Event.Action.values).exists()


def test_a_recommendations_history_shows_the_vocabularys_labels(programme, login):
    rec = Recommendation.objects.filter(programme=programme, state="routed").first()
    page = login("thuongtruc").get(rec.get_absolute_url()).content.decode()
    assert "Nêu kiến nghị" in page and "Đã xem xét, chuyển xử lý" in page
