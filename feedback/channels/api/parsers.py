"""The API's JSON parser: DRF's, with JSON nested too deep to read answered 400, not 500."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """Python's json module recurses once per nesting level: a body of 10,000 brackets raises
    RecursionError, which DRF lets through (it turns only ValueError into a ParseError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError(_("The JSON is nested too deeply.")) from error
