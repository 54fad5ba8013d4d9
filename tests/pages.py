"""A page's forms as a browser would send them back unchanged, for tests that play two people."""

from html.parser import HTMLParser

from django.test import Client

from steer.accounts.models import User


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, list[str]]] = []
        self._form = self._select = self._textarea = None
        self._options: list[tuple[str, bool]] = []
        self._multiple = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {}
            self.forms.append(self._form)
        elif self._form is None or "disabled" in attrs:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self._form.setdefault(attrs["name"], []).append(attrs.get("value", default))
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self._form[self._textarea] = [""]
        elif tag == "select" and attrs.get("name"):
            self._select, self._options = attrs["name"], []
            self._multiple = "multiple" in attrs
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_data(self, data):
        if self._textarea:
            self._form[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            text = self._form[self._textarea][0]
            self._form[self._textarea] = [text[1:] if text.startswith("\n") else text]
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options and not self._multiple:
                chosen = [self._options[0][0]]
            self._form[self._select] = chosen
            self._select = None
        elif tag == "form":
            self._form = None


def form_on(client: Client, url: str, **having) -> dict:
    """The data of the first form of the page at `url` that has these field values (e.g.
    action="answer") or, given a value None, this field; single values as strings."""
    parser = _Forms()
    parser.feed(client.get(url).content.decode())
    for form in parser.forms:
        if all(
            name in form if value is None else form.get(name) == [str(value)]
            for name, value in having.items()
        ):
            return {k: v[0] if len(v) == 1 else v for k, v in form.items()}
    raise AssertionError(f"no form with {having} on {url}")


def client_of(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client
