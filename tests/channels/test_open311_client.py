"""A well-known Open311 client library from PyPI (georeport) against a live server: it lists
the services, reads a definition, and reads back a request submitted by the spec's POST, in
both formats, unchanged."""

import pytest
import requests
from django.utils.dateparse import parse_datetime
from georeport import GeoReport

from feedback.channels import keys
from feedback.models import Case, Channel
from tests.feedback.factories import InstitutionFactory, ServiceFactory

DESCRIPTION = "Street light number 14 on Uhuru Street is out — taa imezimika."


@pytest.fixture
def service(live_server):
    """One institution and service in the live server's (transactional) database."""
    institution = InstitutionFactory(
        short_code="77", name="Ilala Municipal Council", name_sw="Halmashauri ya Ilala"
    )
    return ServiceFactory(institution=institution, code="3", name="Street lights")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_lists_submits_and_reads_back(live_server, service, output_format):
    """georeport 0.3.1 has no method that creates a request (its README says so), so the
    request is POSTed exactly as the spec says: to requests.<format>, form-encoded
    (application/x-www-form-urlencoded), with api_key, service_code, a location and the
    description; everything else goes through the library."""
    _client, key = keys.create_client(name="Street light app")
    root = live_server.url + "/open311/v2"
    georeport = GeoReport(root_address=root, output_format=output_format)

    listed = georeport.get_service_list()
    services = listed if isinstance(listed, list) else [listed]
    mine = next(entry for entry in services if entry["service_code"] == "77-3")
    assert mine["service_name"] == "Street lights"
    assert mine["group"] == "Ilala Municipal Council"

    definition = georeport.get_service_definition("77-3")
    assert definition["service_code"] == "77-3"
    attributes = definition["attributes"]
    declared = attributes if output_format == "json" else attributes["attribute"]
    assert [attribute["code"] for attribute in declared] == ["kind", "publish"]

    posted = requests.post(
        f"{root}/requests.{output_format}",
        data={
            "api_key": key,
            "service_code": "77-3",
            "address_string": "Uhuru Street, Ilala",
            "description": DESCRIPTION,
            "attribute[kind]": "complaint",
            # The citizen consented to publication (the service definition's attribute).
            "attribute[publish]": "true",
        },
        timeout=30,
    )
    assert posted.status_code == 201
    assert posted.headers["Content-Type"].startswith(
        "application/json" if output_format == "json" else "text/xml"
    )
    case = Case.objects.get(channel=Channel.OPEN311)
    assert case.consent_to_publish is True

    one = georeport.get_service_request(case.reference)
    many = georeport.get_service_requests(service_request_id=case.reference)
    if isinstance(many, list):
        [many] = many
    for entry in (one, many):
        assert entry["service_request_id"] == case.reference
        assert entry["service_code"] == "77-3"
        assert entry["description"] == DESCRIPTION
        assert entry["status"] == "open"
        assert entry["agency_responsible"] == "Ilala Municipal Council"
        assert entry["address"] == "Uhuru Street, Ilala"
        requested = parse_datetime(entry["requested_datetime"])
        assert requested == case.submitted_at.replace(microsecond=0)
        assert requested.utcoffset() is not None
    assert one == many
