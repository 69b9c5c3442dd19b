"""GeoReport v2's two wire formats: XML (which the spec requires) and JSON, chosen by the
resource's suffix (`services.xml`, `services.json`), and the form body a POST sends.

A view answers a `Document`: the JSON body, plus the XML names the spec gives its root and
its repeated elements (`services`/`service`, `service_requests`/`request`, `errors`/`error`).
JSON is the spec's "Spark convention" mapping of the XML: a list at the top, `null` where the
XML element is empty. XML is built with ElementTree, which escapes what it must.
"""

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError

# Inside a document, a list's elements are named after the list (the spec's examples).
LIST_ITEMS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "services": "service",
    "service_requests": "request",
    "errors": "error",
}
XML_MEDIA_TYPE = "text/xml"
JSON_MEDIA_TYPE = "application/json"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all, escaped or not (control characters a web form
# may have stored): replaced, so that every answer parses.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Document:
    """One answer: `body` is a list of mappings (or one mapping, for discovery and a service
    definition); `root` and `item` name the XML elements around them."""

    root: str
    body: Any
    item: str | None = None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_IN_XML.sub("\ufffd", str(value))


def _append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: ET.Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            _append(element, LIST_ITEMS.get(name, "item"), inner)
    else:
        element.text = _text(value)


def to_xml(document: Document) -> bytes:
    root = ET.Element(document.root)
    if isinstance(document.body, list):
        for entry in document.body:
            _append(root, document.item or LIST_ITEMS.get(document.root, "item"), entry)
    else:
        _fill(root, document.root, document.body)
    return XML_DECLARATION + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def to_json(document: Document) -> bytes:
    return json.dumps(document.body, ensure_ascii=False).encode("utf-8")


class GeoReportXMLRenderer(renderers.BaseRenderer):
    media_type = XML_MEDIA_TYPE
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return to_xml(data)


class GeoReportJSONRenderer(renderers.BaseRenderer):
    media_type = JSON_MEDIA_TYPE
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return to_json(data)


RENDERERS = {"xml": GeoReportXMLRenderer, "json": GeoReportJSONRenderer}


class GeoReportFormParser(parsers.BaseParser):
    """The spec's POST body, application/x-www-form-urlencoded, read strictly as UTF-8 (the
    spec: "all text received ... will be assumed to be UTF-8"): bytes that are not UTF-8
    are refused rather than replaced, and so is a body past Django's size limit."""

    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise ParseError(_("The request is too large."))
        try:
            pairs = parse_qsl(
                raw.decode("utf-8"),
                keep_blank_values=True,
                encoding="utf-8",
                errors="strict",
                max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            )
        except (UnicodeDecodeError, ValueError) as error:
            raise ParseError(_("The request body is not UTF-8 form data.")) from error
        data = QueryDict(mutable=True)
        for name, value in pairs:
            data.appendlist(name, value)
        return data
