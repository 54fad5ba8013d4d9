from django import forms


class DayInput(forms.DateInput):
    """The browser's date picker: it shows the day in the user's locale and posts ISO dates;
    the value must be rendered as ISO too, or the picker shows nothing."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
