"""Demo content for a newcomer: one country's institutions, services with charters, and staff.

Every function here is idempotent: it finds what already exists by its natural key
(short code, service code, username) and only creates what is missing.
"""

import io
import json
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.backends.dummy import DummyBackend

from feedback.models import (
    ApiClient,
    CharterTerm,
    Institution,
    Kind,
    Role,
    Service,
    ServicePoint,
)
from feedback.roles import assign_role

# (short code, level, English name, Swahili name, acronym, children)
INSTITUTIONS = (
    "1",
    "national",
    "Government of Tanzania",
    "Serikali ya Tanzania",
    "GoT",
    [
        (
            "10",
            "ministry",
            "Ministry of Home Affairs",
            "Wizara ya Mambo ya Ndani",
            "MoHA",
            [
                (
                    "101",
                    "agency",
                    "Immigration Department",
                    "Idara ya Uhamiaji",
                    "IMMIGRATION",
                    [
                        (
                            "1011",
                            "unit",
                            "Passport Office Dar es Salaam",
                            "Ofisi ya Pasipoti Dar es Salaam",
                            "",
                            [],
                        ),
                    ],
                ),
                (
                    "102",
                    "agency",
                    "National Identification Authority",
                    "Mamlaka ya Vitambulisho vya Taifa",
                    "NIDA",
                    [],
                ),
                (
                    "103",
                    "agency",
                    "Tanzania Police Force - Traffic",
                    "Jeshi la Polisi - Usalama Barabarani",
                    "TPF",
                    [],
                ),
            ],
        ),
        (
            "11",
            "ministry",
            "Ministry of Water",
            "Wizara ya Maji",
            "MoW",
            [
                (
                    "111",
                    "agency",
                    "Dar es Salaam Water Supply and Sanitation Authority",
                    "Mamlaka ya Majisafi na Usafi wa Mazingira Dar es Salaam",
                    "DAWASA",
                    [
                        (
                            "1111",
                            "unit",
                            "DAWASA Customer Care",
                            "Huduma kwa Wateja DAWASA",
                            "",
                            [],
                        ),
                    ],
                ),
                (
                    "112",
                    "agency",
                    "Rural Water Supply and Sanitation Agency",
                    "Wakala wa Maji na Usafi wa Mazingira Vijijini",
                    "RUWASA",
                    [],
                ),
            ],
        ),
        (
            "12",
            "ministry",
            "Ministry of Health",
            "Wizara ya Afya",
            "MoH",
            [
                (
                    "121",
                    "agency",
                    "National Health Insurance Fund",
                    "Mfuko wa Taifa wa Bima ya Afya",
                    "NHIF",
                    [],
                ),
                (
                    "122",
                    "agency",
                    "Muhimbili National Hospital",
                    "Hospitali ya Taifa Muhimbili",
                    "MNH",
                    [],
                ),
            ],
        ),
        (
            "13",
            "ministry",
            "Ministry of Lands, Housing and Human Settlements Development",
            "Wizara ya Ardhi, Nyumba na Maendeleo ya Makazi",
            "MLHHSD",
            [
                (
                    "131",
                    "agency",
                    "Office of the Commissioner for Lands",
                    "Ofisi ya Kamishna wa Ardhi",
                    "",
                    [],
                ),
            ],
        ),
        (
            "14",
            "ministry",
            "Ministry of Finance",
            "Wizara ya Fedha",
            "MoF",
            [
                (
                    "141",
                    "agency",
                    "Tanzania Revenue Authority",
                    "Mamlaka ya Mapato Tanzania",
                    "TRA",
                    [],
                ),
            ],
        ),
        (
            "15",
            "ministry",
            "Ministry of Energy",
            "Wizara ya Nishati",
            "MoE",
            [
                (
                    "151",
                    "agency",
                    "Tanzania Electric Supply Company",
                    "Shirika la Umeme Tanzania",
                    "TANESCO",
                    [],
                ),
            ],
        ),
        (
            "16",
            "ministry",
            "Ministry of Constitutional and Legal Affairs",
            "Wizara ya Katiba na Sheria",
            "MoCLA",
            [
                (
                    "161",
                    "agency",
                    "Registration, Insolvency and Trusteeship Agency",
                    "Wakala wa Usajili, Ufilisi na Udhamini",
                    "RITA",
                    [],
                ),
            ],
        ),
        (
            "17",
            "ministry",
            "Ministry of Education, Science and Technology",
            "Wizara ya Elimu, Sayansi na Teknolojia",
            "MoEST",
            [
                (
                    "171",
                    "agency",
                    "Higher Education Students' Loans Board",
                    "Bodi ya Mikopo ya Wanafunzi wa Elimu ya Juu",
                    "HESLB",
                    [],
                ),
            ],
        ),
        (
            "18",
            "ministry",
            "President's Office - Regional Administration and Local Government",
            "Ofisi ya Rais - Tawala za Mikoa na Serikali za Mitaa",
            "PO-RALG",
            [
                (
                    "181",
                    "region",
                    "Dar es Salaam Region",
                    "Mkoa wa Dar es Salaam",
                    "",
                    [
                        ("1811", "district", "Ilala District", "Wilaya ya Ilala", "", []),
                        ("1812", "district", "Kinondoni District", "Wilaya ya Kinondoni", "", []),
                        ("1813", "district", "Temeke District", "Wilaya ya Temeke", "", []),
                        ("1814", "district", "Ubungo District", "Wilaya ya Ubungo", "", []),
                    ],
                ),
                (
                    "182",
                    "region",
                    "Arusha Region",
                    "Mkoa wa Arusha",
                    "",
                    [
                        ("1821", "district", "Arusha City", "Jiji la Arusha", "", []),
                        ("1822", "district", "Meru District", "Wilaya ya Meru", "", []),
                    ],
                ),
                (
                    "183",
                    "region",
                    "Dodoma Region",
                    "Mkoa wa Dodoma",
                    "",
                    [
                        ("1831", "district", "Dodoma City", "Jiji la Dodoma", "", []),
                        ("1832", "district", "Chamwino District", "Wilaya ya Chamwino", "", []),
                    ],
                ),
                (
                    "184",
                    "region",
                    "Mwanza Region",
                    "Mkoa wa Mwanza",
                    "",
                    [
                        ("1841", "district", "Nyamagana District", "Wilaya ya Nyamagana", "", []),
                        ("1842", "district", "Ilemela District", "Wilaya ya Ilemela", "", []),
                    ],
                ),
                (
                    "185",
                    "region",
                    "Mbeya Region",
                    "Mkoa wa Mbeya",
                    "",
                    [
                        ("1851", "district", "Mbeya City", "Jiji la Mbeya", "", []),
                    ],
                ),
            ],
        ),
    ],
)

# (institution code, service code, English, Swahili, description, Swahili description,
#  days to acknowledge, days to resolve, {kind: (ack, resolve)} overrides)
SERVICES = [
    (
        "1011",
        "1",
        "Passport application",
        "Maombi ya pasipoti",
        "Apply for or renew a Tanzanian passport and follow your application.",
        "Omba au huisha pasipoti ya Tanzania na fuatilia maombi yako.",
        2,
        15,
        {Kind.INQUIRY: (1, 5)},
    ),
    (
        "101",
        "2",
        "Residence permit",
        "Kibali cha ukaazi",
        "Residence permits for foreign nationals living and working in Tanzania.",
        "Vibali vya ukaazi kwa raia wa kigeni wanaoishi na kufanya kazi Tanzania.",
        3,
        30,
        {},
    ),
    (
        "102",
        "1",
        "National ID registration",
        "Usajili wa kitambulisho cha taifa",
        "Register for a national identity number and card.",
        "Jisajili kupata namba na kadi ya kitambulisho cha taifa.",
        2,
        20,
        {},
    ),
    (
        "102",
        "2",
        "National ID card replacement",
        "Kubadilisha kitambulisho kilichopotea",
        "Replace a lost, damaged or incorrect national ID card.",
        "Badilisha kitambulisho kilichopotea, kuharibika au chenye makosa.",
        2,
        15,
        {},
    ),
    (
        "103",
        "1",
        "Traffic fines and notices",
        "Faini na taarifa za usalama barabarani",
        "Pay or dispute a traffic fine issued by a traffic officer.",
        "Lipa au pinga faini ya barabarani iliyotolewa na askari wa usalama barabarani.",
        2,
        10,
        {},
    ),
    (
        "1111",
        "1",
        "Water bills and meters",
        "Bili za maji na mita",
        "Questions and complaints about water bills, meter readings and payments.",
        "Maswali na malalamiko kuhusu bili za maji, usomaji wa mita na malipo.",
        1,
        7,
        {Kind.COMPLAINT: (1, 5)},
    ),
    (
        "111",
        "2",
        "New water connection",
        "Kuunganishiwa maji",
        "Apply for a new household or business water connection.",
        "Omba kuunganishiwa maji nyumbani au kwenye biashara.",
        2,
        21,
        {},
    ),
    (
        "111",
        "3",
        "Water supply interruptions",
        "Kukatika kwa huduma ya maji",
        "Report water cuts, low pressure, leaks and burst pipes.",
        "Ripoti kukatika kwa maji, msukumo mdogo, uvujaji na mabomba yaliyopasuka.",
        1,
        3,
        {},
    ),
    (
        "112",
        "1",
        "Rural water points",
        "Vituo vya maji vijijini",
        "Broken rural water points, boreholes and village water committees.",
        "Vituo vya maji vijijini vilivyoharibika, visima na kamati za maji za vijiji.",
        3,
        20,
        {},
    ),
    (
        "121",
        "1",
        "Health insurance membership",
        "Uanachama wa bima ya afya",
        "Register, renew or update NHIF membership and dependants.",
        "Jisajili, huisha au badilisha uanachama wa NHIF na wategemezi.",
        2,
        10,
        {},
    ),
    (
        "121",
        "2",
        "Health insurance claims",
        "Madai ya bima ya afya",
        "Claims refused or delayed at accredited health facilities.",
        "Madai yaliyokataliwa au kuchelewa katika vituo vya afya vilivyosajiliwa.",
        2,
        15,
        {},
    ),
    (
        "122",
        "1",
        "Outpatient and specialist clinics",
        "Kliniki za wagonjwa wa nje na wataalamu",
        "Appointments, waiting times and care at specialist clinics.",
        "Miadi, muda wa kusubiri na huduma katika kliniki za wataalamu.",
        1,
        10,
        {},
    ),
    (
        "131",
        "1",
        "Land title deeds",
        "Hati miliki za ardhi",
        "Apply for, transfer or correct a certificate of right of occupancy.",
        "Omba, hamisha au sahihisha hati ya haki ya kumiliki ardhi.",
        3,
        30,
        {},
    ),
    (
        "131",
        "2",
        "Land rent",
        "Kodi ya ardhi",
        "Land rent bills, payments and arrears.",
        "Bili za kodi ya ardhi, malipo na madeni.",
        2,
        15,
        {},
    ),
    (
        "141",
        "1",
        "Taxpayer identification number",
        "Namba ya utambulisho wa mlipakodi",
        "Register for a TIN and update your taxpayer details.",
        "Jisajili kupata TIN na badilisha taarifa zako za mlipakodi.",
        1,
        5,
        {},
    ),
    (
        "141",
        "2",
        "Tax refunds and assessments",
        "Marejesho na makadirio ya kodi",
        "Objections to assessments and delayed refunds.",
        "Pingamizi dhidi ya makadirio na marejesho yaliyochelewa.",
        3,
        30,
        {},
    ),
    (
        "151",
        "1",
        "Electricity connection",
        "Kuunganishiwa umeme",
        "Apply for a new electricity connection.",
        "Omba kuunganishiwa umeme.",
        2,
        30,
        {},
    ),
    (
        "151",
        "2",
        "Power outages and LUKU tokens",
        "Kukatika kwa umeme na LUKU",
        "Report outages, faulty meters and prepaid tokens that did not load.",
        "Ripoti kukatika kwa umeme, mita mbovu na LUKU zisizoingia.",
        1,
        3,
        {},
    ),
    (
        "161",
        "1",
        "Birth certificates",
        "Vyeti vya kuzaliwa",
        "Register a birth and obtain or correct a birth certificate.",
        "Sajili kizazi na pata au sahihisha cheti cha kuzaliwa.",
        2,
        14,
        {},
    ),
    (
        "161",
        "2",
        "Marriage and death registration",
        "Usajili wa ndoa na vifo",
        "Register a marriage or a death and obtain certificates.",
        "Sajili ndoa au kifo na pata vyeti.",
        2,
        14,
        {},
    ),
    (
        "171",
        "1",
        "Student loans",
        "Mikopo ya wanafunzi",
        "Loan applications, allocations, disbursements and repayments.",
        "Maombi ya mikopo, upangaji, utoaji na urejeshaji.",
        2,
        15,
        {},
    ),
    (
        "1811",
        "1",
        "Business licences",
        "Leseni za biashara",
        "Apply for or renew a business licence in Ilala.",
        "Omba au huisha leseni ya biashara Ilala.",
        2,
        10,
        {},
    ),
    (
        "1812",
        "1",
        "Waste collection",
        "Ukusanyaji wa taka",
        "Missed waste collection and illegal dumping in Kinondoni.",
        "Taka zisizokusanywa na utupaji holela Kinondoni.",
        1,
        5,
        {},
    ),
    (
        "1821",
        "1",
        "Roads and street lighting",
        "Barabara na taa za barabarani",
        "Potholes, drainage and broken street lights in Arusha City.",
        "Mashimo barabarani, mifereji na taa za barabarani zilizoharibika Jiji la Arusha.",
        2,
        20,
        {},
    ),
    (
        "1831",
        "1",
        "Primary school enrolment",
        "Uandikishaji wa shule za msingi",
        "Enrolment and transfers at public primary schools in Dodoma City.",
        "Uandikishaji na uhamisho katika shule za msingi za umma Jiji la Dodoma.",
        2,
        10,
        {},
    ),
]

DEMO_PASSWORD = "mrejesho-demo-2026"  # nosec B105  # the documented demo password

# (username, role, institution short code or None, first name, last name)
DEMO_USERS = [
    ("admin", Role.ADMIN, None, "Amina", "Msuya"),
    ("editor", Role.EDITOR, None, "Eliya", "Mwakyusa"),
    ("officer", Role.OFFICER, "111", "Omari", "Juma"),
    ("lead", Role.LEAD, "111", "Lucy", "Kimaro"),
    ("oversight", Role.OVERSIGHT, "11", "Baraka", "Mushi"),
    ("agent", Role.AGENT, "1811", "Neema", "Mollel"),
    ("auditor", Role.AUDITOR, None, "Daudi", "Kessy"),
    ("screener", Role.SCREENER, "1", "Subira", "Mrema"),
]


def _ensure_institution(parent, code, level, name, name_sw, acronym):
    existing = Institution.objects.filter(short_code=code).first()
    if existing is not None:
        return existing
    fields = {"short_code": code, "level": level, "name": name, "name_sw": name_sw}
    fields["acronym"] = acronym
    if parent is None:
        return Institution.add_root(**fields)
    return parent.add_child(**fields)


def _walk(parent, node):
    code, level, name, name_sw, acronym, children = node
    institution = _ensure_institution(parent, code, level, name, name_sw, acronym)
    # Re-fetch so treebeard's path bookkeeping is current before adding the next child.
    for child in children:
        _walk(Institution.objects.get(pk=institution.pk), child)
    return institution


@transaction.atomic
def seed_institutions() -> Institution:
    return _walk(None, INSTITUTIONS)


@transaction.atomic
def seed_services() -> list[Service]:
    services = []
    for row in SERVICES:
        inst_code, code, name, name_sw, description, description_sw, ack, resolve, terms = row
        institution = Institution.objects.get(short_code=inst_code)
        service, _created = Service.objects.get_or_create(
            institution=institution,
            code=code,
            defaults={
                "name": name,
                "name_sw": name_sw,
                "description": description,
                "description_sw": description_sw,
                "acknowledge_days": ack,
                "resolve_days": resolve,
            },
        )
        for kind, (term_ack, term_resolve) in terms.items():
            CharterTerm.objects.get_or_create(
                service=service,
                kind=kind,
                defaults={"acknowledge_days": term_ack, "resolve_days": term_resolve},
            )
        services.append(service)
    return services


@transaction.atomic
def seed_users() -> list[tuple[str, str, str]]:
    """Create one user per role; returns (username, password, role label) for printing."""
    User = get_user_model()
    credentials = []
    for username, role, inst_code, first, last in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                email=f"{username}@demo.mrejesho.local",
                first_name=first,
                last_name=last,
            )
        institution = Institution.objects.get(short_code=inst_code) if inst_code else None
        profile = assign_role(user, role, institution)
        if role == Role.AGENT and profile.service_point is None:
            seed_agent_desk()
        credentials.append((username, DEMO_PASSWORD, str(Role(role).label)))
    return credentials


# The demo's API client: an organisation's mobile app, for trying the REST API and Open311.
DEMO_API_CLIENT = {
    "name": "Demo mobile app",
    "organisation": "Mrejesho demo",
    "contact_email": "developers@demo.mrejesho.local",
    "requests_per_minute": 120,
}


def demo_api_client() -> ApiClient | None:
    """The demo's active API client, if seeded (a revoked one is left as it is)."""
    return (
        ApiClient.objects.filter(
            name=DEMO_API_CLIENT["name"],
            organisation=DEMO_API_CLIENT["organisation"],
            revoked_at=None,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def seed_api_client() -> tuple[ApiClient, str, bool]:
    """The demo API client and a key to print: (client, key, created).

    A key is shown once and never stored, so a second run cannot print the first key again:
    it issues the existing client a fresh key (the previous one stops working) rather than
    registering a second client. Recorded in the client's history as the demo admin's doing.
    """
    from feedback.channels import keys

    admin = get_user_model().objects.filter(username="admin").first()
    client = demo_api_client()
    if client is None:
        client, key = keys.create_client(created_by=admin, **DEMO_API_CLIENT)
        return client, key, True
    return client, keys.issue_key(client, by=admin), False


# Demo cases: what citizens typically write, in the language they write it in.
CASE_TEXTS = {
    "complaint": [
        (
            "en",
            "Bill much higher than usual",
            "My bill for last month is three times the usual "
            "amount although nothing changed at home. I asked at the office and was told to wait.",
        ),
        (
            "sw",
            "Nimesubiri zaidi ya mwezi",
            "Niliwasilisha maombi mwezi uliopita na hadi leo "
            "sijapata majibu. Kila nikifika ofisini naambiwa nirudi wiki ijayo.",
        ),
        (
            "en",
            "Officer asked for money",
            "At the counter an officer said the process would be "
            "faster if I paid something extra. I refused and my papers were put aside.",
        ),
        (
            "sw",
            "Huduma imekatika bila taarifa",
            "Huduma imekatika kwa siku nne mtaani kwetu bila "
            "taarifa yoyote. Wazee na watoto wanateseka.",
        ),
    ],
    "suggestion": [
        (
            "en",
            "Open on Saturdays",
            "Many of us work during the week. Please open the office on "
            "Saturday mornings, even once a month.",
        ),
        (
            "sw",
            "Tumieni SMS kutoa taarifa",
            "Tungependa kupata ujumbe mfupi wa simu kabla huduma haijasitishwa, ili tujiandae.",
        ),
    ],
    "inquiry": [
        (
            "en",
            "Which documents do I need?",
            "What documents must I bring to apply, and can a relative collect the result for me?",
        ),
        (
            "sw",
            "Ada ni kiasi gani?",
            "Naomba kujua ada ya huduma hii na kama naweza kulipa kwa simu ya mkononi.",
        ),
    ],
    "compliment": [
        (
            "en",
            "Quick and polite service",
            "The staff at the front desk were polite and my "
            "request was handled the same day. Thank you.",
        ),
        (
            "sw",
            "Asanteni kwa huduma nzuri",
            "Nilihudumiwa vizuri na kwa haraka. Hongereni watumishi wa ofisi hii.",
        ),
    ],
}
CITIZEN_NAMES = [
    "Asha Mwinyi",
    "Juma Hassan",
    "Rehema Said",
    "Peter Mallya",
    "Zawadi Mrema",
    "Hamisi Athumani",
    "Grace Lyimo",
    "Salim Omari",
    "Mwanaidi Bakari",
    "John Massawe",
]
RESPONSES = [
    "We checked your account and corrected the error; the difference is credited to your next "
    "bill.",
    "Tumeshughulikia suala lako na huduma imerejeshwa. Samahani kwa usumbufu.",
    "Your application has been processed and is ready for collection at the office.",
    "Thank you. The matter has been referred to the disciplinary committee and action was taken.",
]
QUESTIONS = [
    "Please send the account number on your bill.",
    "Tafadhali tuma namba ya maombi uliyopewa.",
]
DEMO_CASE_COUNT = 300
# Most of a registry's cases are answered: 9 in 16 end resolved or closed (one appealed).
STATUS_CYCLE = [
    "submitted",
    "acknowledged",
    "awaiting_citizen",
    "in_progress",
    "resolved",
    "closed",
    "reopened",
    "rejected",
    "closed",
    "resolved",
    "in_progress",
    "appealed",
    "closed",
    "resolved",
    "closed",
    "closed",
]
DATA = Path(__file__).resolve().parent / "demo_data"


@cache
def outcome_texts() -> dict:
    """Public outcomes as officers write them, by ministry and language (demo_data/)."""
    return json.loads((DATA / "outcomes.json").read_text(encoding="utf-8"))


def _local_phone(phone: str) -> str:
    """+255712345678 as people write it: 0712 345 678."""
    national = "0" + phone.removeprefix("+255")
    return f"{national[:4]} {national[4:7]} {national[7:]}"


def _publish_outcome(case, index, rng, contact, by, clock):
    """Write (as officers do, with the citizen's name or phone in it now and then) and approve
    the case's public outcome, through the workflow: the scrubber takes the personal data out."""
    from feedback import workflow

    texts = outcome_texts()
    language = case.language
    sector = texts["sectors"].get(case.service.institution.short_code[:2])
    if sector is None:
        return case
    summary, response = rng.choice(sector[language])
    citizen = contact.name if contact and index % 5 < 3 else texts["generic_citizen"][language]
    slots = {
        "citizen": citizen,
        "amount": f"{rng.randint(3, 400) * 500:,}",
        "days": rng.randint(2, 9),
    }
    summary, response = summary.format(**slots), response.format(**slots)
    if contact and contact.phone and index % 4 == 0:
        response += " " + texts["phone_sentence"][language].format(
            citizen=contact.name if citizen == contact.name else citizen.lower(),
            phone=_local_phone(contact.phone),
        )
    case = workflow.perform(
        "write_outcome",
        case,
        by=by,
        summary=summary,
        response=response,
        language=language,
        now=clock.tick(1, 30),
    )
    return workflow.perform("approve_outcome", case, by=by, now=clock.tick(1, 30))


CHANNEL_CYCLE = ["web", "ussd", "sms", "service_point", "api", "open311", "web", "ussd"]


class _Clock:
    """Moves a case's story forward in time, never past the present."""

    def __init__(self, rng, start, now):
        self.rng, self.time, self.now = rng, start, now

    def tick(self, low_hours=1, high_hours=60):
        step = timedelta(hours=self.rng.randint(low_hours, high_hours))
        self.time = min(self.time + step, self.now - timedelta(minutes=1))
        return self.time


def _seed_one_case(index, rng, services, staff, now, api_client=None):
    from feedback import workflow

    kind = list(CASE_TEXTS)[index % 4]
    language, subject, description = rng.choice(CASE_TEXTS[kind])
    service = rng.choice(services)
    channel = CHANNEL_CYCLE[index % len(CHANNEL_CYCLE)]
    target = STATUS_CYCLE[index % len(STATUS_CYCLE)]
    escalations = (index // len(STATUS_CYCLE)) % 4
    contact = None
    if index % 3:
        contact = workflow.ContactDetails(
            name=rng.choice(CITIZEN_NAMES),
            phone=f"+2557{rng.randint(10_000_000, 99_999_999)}",
            notify_by="sms",
        )
    clock = _Clock(rng, now - timedelta(days=rng.randint(2, 150), hours=rng.randint(0, 23)), now)
    officer = workflow.staff(staff["admin"])
    submission = workflow.submit(
        kind=kind,
        institution=service.institution,
        service=service,
        subject=subject,
        description=description,
        channel=channel,
        language=language,
        contact=contact,
        consent_to_publish=index % 7 != 3,
        by=workflow.staff(staff["agent"]) if channel == "service_point" else None,
        service_point=(
            staff["agent"].staff_profile.service_point if channel == "service_point" else None
        ),
        # What came through the API or Open311 names the app that sent it.
        api_client=api_client if channel in ("api", "open311") else None,
        now=clock.time,
    )
    case, citizen = submission.case, submission.actor
    if target == "rejected":
        return workflow.reject(
            case,
            by=officer,
            reason="out_of_scope",
            explanation="This is a private dispute; please contact the court.",
            now=clock.tick(),
        )
    for _ in range(escalations if target != "submitted" else 0):
        try:
            case = workflow.escalate(
                case,
                by=officer,
                reason="Deadline passed without an answer.",
                now=clock.tick(24, 200),
            )
        except workflow.TransitionNotAllowed:
            break
    if target == "submitted":
        if escalations:
            case = workflow.escalate(
                case, by=officer, reason="Not acknowledged in time.", now=clock.tick()
            )
        return case
    case = workflow.acknowledge(case, by=officer, now=clock.tick())
    if target == "acknowledged":
        return case
    if target == "awaiting_citizen":
        return workflow.request_information(
            case, by=officer, question=rng.choice(QUESTIONS), now=clock.tick()
        )
    case = workflow.start(case, by=officer, now=clock.tick())
    if target == "in_progress":
        return case
    case = workflow.resolve(case, by=officer, response=rng.choice(RESPONSES), now=clock.tick())
    if target == "resolved":
        return (
            _publish_outcome(case, index, rng, contact, officer, clock)
            if case.consent_to_publish
            else case
        )
    if target == "reopened":
        return workflow.reopen(
            case, by=citizen, reason="The problem came back.", now=clock.tick(1, 20)
        )
    case = workflow.rate(case, by=citizen, score=rng.randint(1, 5), now=clock.tick(1, 20))
    case = workflow.close(case, by=citizen, now=clock.tick(1, 20))
    if case.consent_to_publish:
        case = _publish_outcome(case, index, rng, contact, officer, clock)
    if target == "appealed":
        case = workflow.appeal(
            case,
            by=citizen,
            reason="The answer ignores my receipts.",
            now=clock.tick(1, 20),
        )
    return case


@contextmanager
def _notifications_discarded():
    """Route queued tasks to django-tasks' dummy backend, in this thread, for the block.

    Swaps the default backend itself rather than the TASKS setting: changing settings at run
    time is a test tool (django.test), and the swap touches nothing other threads can see.
    """
    previous = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    task_backends[DEFAULT_TASK_BACKEND_ALIAS] = DummyBackend(
        alias=DEFAULT_TASK_BACKEND_ALIAS, params={}
    )
    try:
        yield
    finally:
        task_backends[DEFAULT_TASK_BACKEND_ALIAS] = previous


def seed_cases(count: int = DEMO_CASE_COUNT) -> int:
    """Add demo cases until there are `count`, each driven through the workflow itself.

    Notifications go to a dummy task backend: demo data must never text a real phone. The
    index tasks go with them; their queue rows stay, and are pushed here, once, in bulk.
    """
    import random

    from django.utils import timezone

    from feedback.models import Case
    from search import indexing

    existing = Case.objects.count()
    if existing >= count:
        return 0
    services = list(Service.objects.select_related("institution").order_by("pk"))
    User = get_user_model()
    # The administrator handles cases of every institution, so one account drives them all.
    staff = {name: User.objects.get(username=name) for name in ("admin", "agent")}
    api_client = demo_api_client()
    now = timezone.now()
    with _notifications_discarded():
        for index in range(existing, count):
            with transaction.atomic():
                _seed_one_case(index, random.Random(index), services, staff, now, api_client)  # nosec B311  # seeded demo data, not a secret
    indexing.sync()  # an engine that is down keeps the queue for the sweep
    return count - existing


# The staff workspace's demo: work waiting on every role's dashboard (demo_data/workspace.json).
# Each case is driven through the workflow by the demo user whose job it is (the lead assigns,
# the officer answers, the oversight leader gives directives, the citizen closes and appeals),
# at times set back from now, so overdue and due-soon cases stay so on the day of the demo.

DEMO_KEY = "demo:{}"  # a workspace case's idempotency key: found again on the next run
WORKSPACE_ACTORS = ("admin", "officer", "lead", "oversight", "agent")
# The demo users whose dashboards show case work (the editor's shows pages only).
DASHBOARD_USERS = ("officer", "lead", "oversight", "agent", "screener", "auditor", "admin")
STEP_KEYS = frozenset({"do", "by", "days_ago", "after_hours"})


@cache
def workspace_data() -> dict:
    return json.loads((DATA / "workspace.json").read_text(encoding="utf-8"))


@transaction.atomic
def seed_canned_responses() -> int:
    """The replies the water utility and its ministry keep ready, in both languages."""
    from feedback.models import CannedResponse

    added = 0
    for code, responses in workspace_data()["canned_responses"].items():
        institution = Institution.objects.get(short_code=code)
        for text in responses:
            _response, created = CannedResponse.objects.get_or_create(
                institution=institution,
                title=text["title"],
                defaults={key: text[key] for key in ("title_sw", "body", "body_sw")},
            )
            added += created
    return added


@transaction.atomic
def seed_agent_desk() -> ServicePoint:
    """The service point where the demo agent takes down walk-in citizens' feedback."""
    spec = workspace_data()["service_point"]
    point, _created = ServicePoint.objects.get_or_create(
        code=spec["code"],
        defaults={
            "name": spec["name"],
            "name_sw": spec["name_sw"],
            "location": spec["location"],
            "host": Institution.objects.get(short_code=spec["host"]),
        },
    )
    profile = get_user_model().objects.get(username=spec["agent"]).staff_profile
    if profile.service_point_id != point.pk:
        profile.service_point = point
        profile.save()
    return point


def meter_photo() -> bytes:
    """A JPEG a citizen might take of a water meter: a dial with its digits and needles."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (92, 104, 88))  # a concrete meter box
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 30, 390, 330), fill=(40, 70, 130), outline=(20, 20, 20), width=6)
    draw.ellipse((115, 55, 365, 305), fill=(238, 238, 228))
    draw.rectangle((160, 120, 320, 160), fill=(25, 25, 25))
    for position, digit in enumerate("01254"):
        left = 166 + position * 31
        colour = (200, 30, 30) if position == 4 else (245, 245, 245)
        draw.rectangle((left, 126, left + 24, 154), outline=(90, 90, 90))
        draw.text((left + 8, 133), digit, fill=colour)
    for centre, angle in (((190, 230), (210, 210)), ((290, 230), (300, 252))):
        box = (centre[0] - 24, centre[1] - 24, centre[0] + 24, centre[1] + 24)
        draw.ellipse(box, outline=(60, 60, 60), width=2)
        draw.line((centre, angle), fill=(200, 30, 30), width=3)
    draw.text((205, 80), "m3  DN15", fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def payment_receipt_pdf() -> bytes:
    """A one-page PDF like the payment receipt a citizen scans: a connection fee paid."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (595, 420), "white")
    draw = ImageDraw.Draw(page)
    lines = [
        "DAWASA - PAYMENT RECEIPT",
        "",
        "Control number:   991 234 567 890",
        "Service:          New water connection (domestic)",
        "Amount paid:      TSh 210,500.00",
        "Paid through:     M-Pesa",
        "Status:           PAID",
    ]
    for row, line in enumerate(lines):
        draw.text((40, 40 + row * 28), line, fill="black")
    draw.rectangle((30, 30, 565, 250), outline="black", width=2)
    buffer = io.BytesIO()
    page.save(buffer, format="PDF", resolution=72)
    return buffer.getvalue()


ATTACHMENTS = {
    "meter_photo": ("meter.jpg", meter_photo),
    "receipt_pdf": ("payment-receipt.pdf", payment_receipt_pdf),
}


def _attachment(kind: str):
    """Stored through the same checks as a citizen's upload (feedback.attachments)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from feedback.attachments import store_upload, validate_upload

    name, make = ATTACHMENTS[kind]
    upload = SimpleUploadedFile(name, make())
    return store_upload(upload, validate_upload(upload))


def _service(code: str | None) -> Service | None:
    if code is None:
        return None  # no institution named: the screening desk's queue
    institution, service = code.split("/")
    return Service.objects.select_related("institution").get(
        institution__short_code=institution, code=service
    )


def _submitted_at(when: dict, service: Service | None, kind: str, now):
    """When the citizen wrote: so many days or hours ago, or "due": "soon", as long ago as the
    charter allows for the resolution deadline to fall on the next working day."""
    from feedback import sla

    if "hours_ago" in when:
        return now - timedelta(hours=when["hours_ago"])
    if "days_ago" in when:
        return now - timedelta(days=when["days_ago"])
    country = sla.default_country()
    resolve_days = service.charter_for(kind)[1]
    next_day = sla.add_working_days(now, 1, country)
    latest = now - timedelta(hours=3)
    for days_back in range(1, 60):
        earlier = latest - timedelta(days=days_back)
        if sla.add_working_days(earlier, resolve_days, country) < next_day:
            return latest - timedelta(days=days_back - 1)
    return latest


def _step_params(step: dict, at, users: dict) -> dict:
    """The action's parameters as the workflow takes them: users, cases and dates for the
    names, keys and working days the data file gives."""
    from feedback import sla
    from feedback.models import Case

    params = {key: value for key, value in step.items() if key not in STEP_KEYS}
    if "officer" in params:
        params["officer"] = users[params["officer"]]
    if "into" in params:
        params["into"] = Case.objects.get(idempotency_key=DEMO_KEY.format(params["into"]))
    if "due_in_working_days" in params:
        days = params.pop("due_in_working_days")
        params["due"] = sla.local_date(sla.add_working_days(at, days, sla.default_country()))
    return params


def _seed_workspace_case(spec, users, point, now) -> bool:
    """One case of the data file, submitted and taken through its steps; False if it exists."""
    import random
    import zlib

    from feedback import workflow
    from feedback.models import Case, Channel

    key = DEMO_KEY.format(spec["key"])
    if Case.objects.filter(idempotency_key=key).exists():
        return False
    rng = random.Random(zlib.crc32(spec["key"].encode()))  # nosec B311  # seeded demo data, not a secret
    service = _service(spec["service"])
    clock = _Clock(rng, _submitted_at(spec["submitted"], service, spec["kind"], now), now)
    channel = spec.get("channel", Channel.WEB)
    at_desk = channel == Channel.SERVICE_POINT
    extra = {"service_point": point} if at_desk else {}
    contact = spec.get("contact")
    submission = workflow.submit(
        kind=spec["kind"],
        subject=spec["subject"],
        description=spec["description"],
        institution=service.institution if service else None,
        service=service,
        channel=channel,
        language=spec["language"],
        contact=workflow.ContactDetails(**contact, notify_by="sms") if contact else None,
        consent_to_publish=spec.get("consent", False),
        by=workflow.staff(users["agent"]) if at_desk else None,
        attachments=[_attachment(spec["attachment"])] if "attachment" in spec else (),
        idempotency_key=key,
        now=clock.time,
        **extra,
    )
    case, citizen = submission.case, submission.actor
    for step in spec["steps"]:
        if "days_ago" in step:
            clock.time = max(clock.time, now - timedelta(days=step["days_ago"]))
        else:
            clock.tick(*step.get("after_hours", (2, 30)))
        by = {"citizen": citizen, "system": workflow.SYSTEM}.get(step["by"])
        by = by or workflow.staff(users[step["by"]])
        params = _step_params(step, clock.time, users)
        case = workflow.perform(step["do"], case, by=by, now=clock.time, **params)
    return True


def seed_workspace(now=None) -> dict:
    """Work waiting for each demo role, through the workflow: canned responses, the agent's
    service point and walk-in cases, the officer's assigned cases (overdue, due soon without
    a reply, a photo, a PDF), the lead's unassigned cases, draft outcomes and an appeal, the
    oversight leader's escalations, appeals and directives, the screening queue and a merged
    duplicate. Idempotent: each case is found again by its key."""
    from django.utils import timezone

    now = now or timezone.now()
    users = {name: get_user_model().objects.get(username=name) for name in WORKSPACE_ACTORS}
    responses = seed_canned_responses()
    point = seed_agent_desk()
    added = 0
    with _notifications_discarded():
        for spec in workspace_data()["cases"]:
            with transaction.atomic():
                added += _seed_workspace_case(spec, users, point, now)
    return {
        "cases": added,
        "canned_responses": responses,
        "service_point": point,
    }
