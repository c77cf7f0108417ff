"""The demo clinic: a deterministic, realistic EMR export (docs/export-format.md).

``write_demo_export`` writes ``services.csv``, ``staff.csv``,
``appointments.csv`` and ``availabilities.csv`` for a fictitious Montreal
family-medicine clinic (« Clinique médicale Saint-Laurent ») over 2026, plus
appointments already booked into January–March 2027 and open slots published
ahead. It serves three purposes:

- the committed demo under ``data/demo/`` (scale 1, a few MB) that notebooks,
  the dashboard and the tutorial load;
- test fixtures: every situation the sync wizard and the remuneration audit
  must handle is present at every scale, namely administrative services
  (Pause, Vacances…) that carry appointments, EMR-inactive services, active
  services with only past appointments or none at all, an inactive staff
  member who still has appointments and availabilities, a locum referenced by
  appointments but missing from ``staff.csv``, appointments on service ids
  absent from ``services.csv``, a non-primary-care physician who is not a
  volunteer (Volontaire box not ticked), availabilities
  missing regulatory attributes;
- the benchmark input: ``appointments=5_000_000`` is generated with numpy
  (no Python loop per row) and written by DuckDB in seconds.

Larger exports are made of several *sites* (points de service) of about
17,500 appointments each: site 0 is the hand-written clinic, the others copy
its service catalogue and staff template under their own names and ids. The
special cases live in site 0 only, so they exist exactly once at any scale.

Same arguments give byte-identical files: all randomness comes from one
``numpy.random.default_rng(seed)`` drawn in a fixed order, rows are ordered
explicitly, and DuckDB preserves insertion order when writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

APPOINTMENTS_PER_SITE = 17_500

FIRST_DAY = np.datetime64("2026-01-01")
EXPORT_DAY = np.datetime64("2027-01-01")  # export taken on 31 Dec 2026 after closing
END_DAY = np.datetime64("2027-04-01")  # exclusive: bookings reach March 2027

# Quebec statutory holidays falling on weekdays: the clinic is closed.
HOLIDAYS = np.array(
    [
        "2026-01-01",
        "2026-04-03",
        "2026-04-06",
        "2026-05-18",
        "2026-06-24",
        "2026-07-01",
        "2026-09-07",
        "2026-10-12",
        "2026-12-25",
        "2027-01-01",
        "2027-03-26",
        "2027-03-29",
    ],
    dtype="datetime64[D]",
)

# Codes of docs/export-format.md.
REASONS = ("urgent", "semi_urgent", "suivi_grossesse", "suivi_pediatrique", "suivi_regulier")
CLIENTELES = ("own", "same_site_physician", "same_site_professional", "any")
MODES = ("in_person", "home", "video", "phone")
REFERRALS = ("811", "911", "gap", "hospital")
STATUSES = ("booked", "fulfilled", "noshow", "cancelled")
BOOKED, FULFILLED, NOSHOW, CANCELLED = range(4)

# Staff profiles decide which services a member books and publishes.
FP, IPS, NURSE, DERM, MGR = range(5)
PATIENT_GROUPS = ("none", "any", "child", "woman", "senior")


@dataclass(frozen=True)
class _Service:
    name: str
    created: str
    appt: tuple = (0, 0, 0, 0, 0)  # appointment weight per profile FP, IPS, NURSE, DERM, MGR
    avail: tuple = (0, 0, 0, 0, 0)  # availability weight per profile
    dur: tuple = (1, 0, 0)  # probability of 15, 30, 45 minutes
    reason: str = "suivi_regulier"  # reason code of its availabilities
    mode: str = "in_person"
    patients: str = "any"  # PATIENT_GROUPS: who books it
    window: tuple | None = None  # (first, last) day it is booked, inclusive
    active: bool = True  # emr_status
    admin: bool = False  # internal block, no patient: a clinic excludes it


def _admin(name: str, created: str, appt: tuple, dur: tuple) -> _Service:
    return _Service(name, created, appt=appt, dur=dur, patients="none", admin=True)


# Site 0's catalogue, in EMR id order. Weights are relative volumes.
SERVICES: tuple[_Service, ...] = (
    _Service(
        "Consultation urgente",
        "2018-09-04T09:12:00",
        appt=(14, 4, 0, 0, 0),
        avail=(30, 8, 0, 0, 0),
        dur=(0.8, 0.2, 0),
        reason="urgent",
    ),
    _Service(
        "Consultation semi-urgente",
        "2018-09-04T09:14:00",
        appt=(10, 8, 0, 0, 0),
        avail=(18, 12, 0, 0, 0),
        dur=(0.5, 0.5, 0),
        reason="semi_urgent",
    ),
    _Service(
        "Suivi de grossesse",
        "2018-09-04T09:20:00",
        appt=(4, 3, 0, 0, 0),
        avail=(4, 3, 0, 0, 0),
        dur=(0.2, 0.8, 0),
        reason="suivi_grossesse",
        patients="woman",
    ),
    _Service(
        "Suivi pédiatrique",
        "2018-09-04T09:22:00",
        appt=(5, 4, 0, 0, 0),
        avail=(5, 4, 0, 0, 0),
        dur=(0.3, 0.7, 0),
        reason="suivi_pediatrique",
        patients="child",
    ),
    _Service(
        "Suivi régulier", "2018-09-04T09:25:00", appt=(20, 14, 0, 0, 0), avail=(20, 14, 0, 0, 0), dur=(0.5, 0.5, 0)
    ),
    _Service("Vaccination", "2018-09-05T14:02:00", appt=(0, 0, 14, 0, 0), avail=(0, 0, 10, 0, 0)),
    _Service(
        "Examen périodique", "2018-09-05T14:05:00", appt=(6, 4, 0, 0, 0), avail=(4, 3, 0, 0, 0), dur=(0, 0.4, 0.6)
    ),
    _Service("Prélèvements", "2018-09-05T14:07:00", appt=(0, 0, 16, 0, 0), avail=(0, 0, 6, 0, 0)),
    _Service("Santé mentale", "2019-02-11T10:40:00", appt=(4, 1, 0, 0, 0), avail=(2, 0, 0, 0, 0), dur=(0, 0.3, 0.7)),
    # A recent service: booked only since March 2026.
    _Service(
        "Télémédecine – suivi",
        "2026-02-16T11:03:00",
        appt=(4, 3, 0, 0, 0),
        avail=(4, 2, 0, 0, 0),
        dur=(0.6, 0.4, 0),
        mode="video",
        window=("2026-03-02", "2027-03-31"),
    ),
    _Service(
        "Visite à domicile",
        "2019-02-11T10:45:00",
        appt=(1, 0, 0, 0, 0),
        avail=(1, 0, 0, 0, 0),
        dur=(0, 0, 1),
        mode="home",
        patients="senior",
    ),
    # EMR placeholder left when a booking is moved: no availabilities.
    _Service("Précédent rendez-vous annulé", "2019-06-03T08:31:00", appt=(1, 0.5, 0, 0, 0)),
    _Service(
        "Première visite – nouveau patient (GAP)",
        "2020-01-20T13:15:00",
        appt=(3, 1, 0, 0, 0),
        avail=(4, 1, 0, 0, 0),
        dur=(0, 0.3, 0.7),
    ),
    _Service(
        "Suivi post-partum",
        "2020-01-20T13:18:00",
        appt=(1, 1, 0, 0, 0),
        avail=(0.5, 0.5, 0, 0, 0),
        dur=(0, 1, 0),
        reason="suivi_grossesse",
        patients="woman",
    ),
    _Service(
        "Bilan de santé – 65 ans et plus",
        "2020-01-20T13:22:00",
        appt=(2, 0, 0, 0, 0),
        dur=(0, 0.3, 0.7),
        patients="senior",
    ),
    _Service(
        "Contraception et santé sexuelle",
        "2020-05-04T09:00:00",
        appt=(1.5, 2.5, 1, 0, 0),
        dur=(0.5, 0.5, 0),
        patients="woman",
    ),
    _Service("Suivi du diabète", "2020-05-04T09:04:00", appt=(3, 3, 1, 0, 0), dur=(0.4, 0.6, 0)),
    _Service("Suivi de l'hypertension artérielle", "2020-05-04T09:06:00", appt=(3, 2, 0, 0, 0), dur=(0.6, 0.4, 0)),
    _Service("Renouvellement d'ordonnance", "2020-05-04T09:09:00", appt=(4, 3, 0, 0, 0)),
    _Service(
        "Consultation téléphonique", "2020-03-16T07:55:00", appt=(3, 2, 0, 0, 0), avail=(3, 2, 0, 0, 0), mode="phone"
    ),
    _Service(
        "Cytologie (test Pap)", "2020-09-14T10:30:00", appt=(1, 1.5, 0.5, 0, 0), dur=(0.2, 0.8, 0), patients="woman"
    ),
    _Service("Électrocardiogramme", "2020-09-14T10:34:00", appt=(0, 0, 2, 0, 0), dur=(0.4, 0.6, 0)),
    _Service("Soins de plaies", "2021-01-11T15:20:00", appt=(0, 0, 5, 0, 0), dur=(0.4, 0.6, 0)),
    _Service("Retrait de points de suture", "2021-01-11T15:22:00", appt=(0, 0, 2, 0, 0)),
    # Active services whose appointments are all past by December 2026.
    _Service(
        "Vaccination antigrippale", "2021-09-27T08:45:00", appt=(0, 0, 10, 0, 0), window=("2026-10-13", "2026-11-27")
    ),
    _Service(
        "Dépistage ITSS – clinique estivale",
        "2023-05-15T11:10:00",
        appt=(0, 0.5, 2, 0, 0),
        window=("2026-06-01", "2026-08-28"),
    ),
    _Service("Counselling en cessation tabagique", "2021-03-08T09:30:00", appt=(0.3, 0, 1, 0, 0), dur=(0, 1, 0)),
    _Service("Suivi MPOC et asthme", "2021-03-08T09:33:00", appt=(1.5, 1, 0, 0, 0), dur=(0.3, 0.7, 0)),
    _Service(
        "Dermatologie – consultation",
        "2022-04-25T14:00:00",
        appt=(0, 0, 0, 20, 0),
        avail=(0, 0, 0, 15, 0),
        dur=(0, 0.5, 0.5),
    ),
    _Service("Dermatologie – cryothérapie", "2022-04-25T14:03:00", appt=(0, 0, 0, 6, 0), avail=(0, 0, 0, 3, 0)),
    # Active but never booked: new services waiting for their first patients.
    _Service("Infiltration articulaire", "2026-11-23T16:12:00"),
    _Service("Cours prénatal de groupe", "2026-12-01T10:05:00", reason="suivi_grossesse"),
    # Deactivated in the EMR; the first two still carry early-2026 appointments.
    _Service(
        "Vaccination COVID-19",
        "2021-01-04T08:00:00",
        appt=(0, 0, 3, 0, 0),
        window=("2026-01-05", "2026-03-27"),
        active=False,
    ),
    _Service(
        "Évaluation médicale SAAQ",
        "2019-10-07T13:40:00",
        appt=(0.4, 0, 0, 0, 0),
        dur=(0, 1, 0),
        window=("2026-01-05", "2026-04-30"),
        active=False,
    ),
    _Service("Clinique sans rendez-vous (ancienne)", "2018-09-04T09:30:00", active=False),
    # Administrative blocks the EMR books like appointments.
    _admin("Pause", "2018-09-04T08:50:00", (3, 3, 3, 3, 0), (1, 0, 0)),
    _admin("Pause repas", "2018-09-04T08:51:00", (3.5, 3.5, 3.5, 3.5, 0), (0, 0, 1)),
    _admin("Réunion d'équipe", "2018-09-04T08:52:00", (0.8, 0.8, 0.8, 0.5, 10), (0, 0, 1)),
    _admin("Formation", "2018-09-04T08:53:00", (0.3, 0.5, 0.5, 0.3, 3), (0, 0, 1)),
    _admin("Tâches administratives", "2018-09-04T08:54:00", (1.5, 1, 1, 0.5, 10), (0.3, 0.4, 0.3)),
    _admin("Vacances", "2018-09-04T08:55:00", (0.15, 0.15, 0.15, 0.15, 0.2), (0, 0, 1)),
    _admin("Congé de maladie", "2018-09-04T08:56:00", (0, 0, 0, 0, 0), (0, 0, 1)),
)
LUNCH = next(i for i, s in enumerate(SERVICES) if s.name == "Pause repas")
N_UNKNOWN_SERVICES = 2  # service ids deleted from the EMR but still on appointments


@dataclass(frozen=True)
class _Member:
    name: str
    role: str
    profile: int
    specialty: str | None = None
    responsible: bool = False
    volunteer: bool = True  # the Volontaire box: only volunteers' availabilities count in the GAP report
    active: bool = True
    window: tuple | None = None  # (first, last) day the member works, inclusive


PRIMARY = "Médecine familiale"
# Site 0's staff, in EMR id order.
STAFF: tuple[_Member, ...] = (
    _Member("Tremblay, Marie-Claude", "medecin", FP, PRIMARY, responsible=True),
    _Member("Gagnon, Jean-François", "medecin", FP, PRIMARY),
    _Member("Côté, Isabelle", "medecin", FP, PRIMARY),
    _Member("Bouchard, Mathieu", "medecin", FP, PRIMARY),
    _Member("Haddad, Nadia", "medecin", FP, PRIMARY),
    # Marked inactive in Personnel médical, yet his EMR schedule goes on.
    _Member("Lévesque, Olivier", "medecin", FP, PRIMARY, active=False),
    # A dermatologist who offers no GAP slots: her box is not ticked, her availabilities not counted.
    _Member("Bélanger, Sophie", "medecin", DERM, "Dermatologie", volunteer=False),
    _Member("Fortin, Émilie", "ips", IPS, "Soins de première ligne"),
    _Member("Pelletier, Catherine", "infirmiere", NURSE),
    _Member("Gauthier, Julie", "infirmiere", NURSE),
    _Member("Roy, Marc-André", "infirmiere", NURSE),
    _Member("Morin, Chantal", "gestionnaire", MGR),
)
# Summer locum: on the schedule, never added to the staff list.
LOCUM = _Member("Nguyen, Alexandre", "medecin", FP, PRIMARY, window=("2026-06-01", "2026-08-31"))
# Roles of the other sites' staff, in id order.
SITE_TEMPLATE = (FP, FP, FP, FP, FP, FP, DERM, IPS, NURSE, NURSE, NURSE, MGR)
ROLE_OF = {FP: "medecin", DERM: "medecin", IPS: "ips", NURSE: "infirmiere", MGR: "gestionnaire"}
SPECIALTY_OF = {FP: PRIMARY, DERM: "Dermatologie", IPS: "Soins de première ligne"}
# Relative volume of appointments and availabilities per profile.
APPT_VOLUME = {FP: 1.0, IPS: 0.9, NURSE: 0.9, DERM: 0.8, MGR: 0.03}
AVAIL_VOLUME = {FP: 1.0, IPS: 0.8, NURSE: 0.25, DERM: 0.6, MGR: 0.0}

# Other sites: neighbourhood, civic address.
SITES = (
    ("Saint-Laurent", "1200 boul. Décarie"),
    ("Verdun", "4100 rue Wellington"),
    ("Rosemont", "3330 rue Masson"),
    ("Ahuntsic", "10 500 rue Lajeunesse"),
    ("Villeray", "7400 rue Saint-Denis"),
    ("Côte-des-Neiges", "5700 ch. de la Côte-des-Neiges"),
    ("Hochelaga", "3900 rue Ontario Est"),
    ("Lachine", "1800 rue Notre-Dame"),
    ("Anjou", "7100 boul. des Galeries-d'Anjou"),
    ("Outremont", "1250 av. Van Horne"),
    ("Pointe-aux-Trembles", "13 000 rue Sherbrooke Est"),
    ("Plateau-Mont-Royal", "4500 av. du Parc"),
)
FIRST_NAMES = (
    "Marie",
    "Julie",
    "Isabelle",
    "Nathalie",
    "Catherine",
    "Mélanie",
    "Geneviève",
    "Sophie",
    "Annie",
    "Émilie",
    "Valérie",
    "Chloé",
    "Léa",
    "Amélie",
    "Josée",
    "Hélène",
    "Fatima",
    "Yasmine",
    "Jean",
    "Pierre",
    "Luc",
    "Mathieu",
    "François",
    "Éric",
    "Sébastien",
    "Olivier",
    "Simon",
    "Alexandre",
    "Maxime",
    "Philippe",
    "Étienne",
    "Benoît",
    "Karim",
    "Samuel",
    "Gabriel",
    "Louis",
)
SURNAMES = (
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Caron",
    "Beaulieu",
    "Cloutier",
    "Dubé",
    "Poirier",
    "Fournier",
    "Lapointe",
    "Leclerc",
    "Lefebvre",
    "Poulin",
    "Thibault",
    "St-Pierre",
    "Nadeau",
    "Martin",
    "Landry",
    "Martel",
    "Bédard",
    "Grenier",
    "Lessard",
    "Bernier",
    "Richard",
    "Michaud",
    "Hébert",
    "Desjardins",
    "Couture",
    "Turcotte",
    "Lachance",
    "Parent",
    "Blais",
    "Gosselin",
    "Savard",
    "Proulx",
    "Beaudoin",
    "Demers",
    "Perreault",
    "Boudreau",
    "Lemieux",
    "Cyr",
    "Perron",
    "Dufour",
    "Dion",
    "Mercier",
    "Bolduc",
    "Bérubé",
    "Boisvert",
    "Langlois",
    "Ménard",
    "Therrien",
    "Plante",
    "Bilodeau",
    "Vachon",
    "Fontaine",
    "Nguyen",
    "Tran",
    "Haddad",
    "Joseph",
    "Pierre-Louis",
    "Singh",
    "Chen",
    "Khan",
    "Rossi",
    "Benali",
    "Saint-Louis",
    "Ouimet",
    "Charbonneau",
)
# RAMQ health-insurance numbers start with the first three letters of the
# surname and the first-name initial (accents dropped).
RAMQ_PREFIXES = (
    "TRE",
    "GAG",
    "ROY",
    "COT",
    "BOU",
    "GAU",
    "MOR",
    "LAV",
    "FOR",
    "OUE",
    "PEL",
    "BEL",
    "LEV",
    "BER",
    "LEB",
    "PAQ",
    "GIR",
    "SIM",
    "CAR",
    "BEA",
    "CLO",
    "DUB",
    "POI",
    "FOU",
    "LAP",
    "LEC",
    "LEF",
    "POU",
    "THI",
    "STP",
    "NAD",
    "MAR",
    "LAN",
    "BED",
    "GRE",
    "LES",
    "RIC",
    "MIC",
    "HEB",
    "DES",
    "COU",
    "TUR",
    "LAC",
    "PAR",
    "BLA",
    "GOS",
    "SAV",
    "PRO",
    "DEM",
    "PER",
    "LEM",
    "CYR",
    "DUF",
    "DIO",
    "MER",
    "BOL",
    "BOI",
    "MEN",
    "THE",
    "PLA",
    "BIL",
    "VAC",
    "FON",
    "NGU",
    "TRA",
    "HAD",
    "JOS",
    "SIN",
    "CHE",
    "KHA",
    "ROS",
    "BEN",
    "OUI",
    "CHA",
    "AUD",
    "ALA",
    "ZHA",
    "WIL",
)
INITIALS = "MJSCNALPIEDGRFVKTBHYO"


# ---------------------------------------------------------------- calendar


def _workdays() -> np.ndarray:
    """Weekdays from 2026-01-01 to 2027-03-31 the clinic is open."""
    days = np.arange(FIRST_DAY, END_DAY)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return days[(weekday < 5) & ~np.isin(days, HOLIDAYS)]


def _day_weights(days: np.ndarray, future_decay: float) -> np.ndarray:
    """Relative activity per day: summer and holidays are quieter, and the
    future thins out as fewer visits are booked far ahead."""
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    weekday = (days.astype(np.int64) + 3) % 7
    w = np.array([1.1, 1.0, 1.0, 1.0, 0.85])[weekday]
    w = w * np.where((month == 7) | (month == 8), 0.7, 1.0)
    w = w * np.where((days >= np.datetime64("2026-12-21")) & (days < EXPORT_DAY), 0.5, 1.0)
    ahead = (days - EXPORT_DAY).astype(np.int64)
    return w * np.where(ahead >= 0, 0.9 * np.exp(-np.maximum(ahead, 0) / future_decay), 1.0)


def _day_range(days: np.ndarray, window: tuple | None) -> tuple[int, int]:
    """Index range [lo, hi] of the workdays inside an inclusive date window."""
    if window is None:
        return 0, len(days) - 1
    lo = np.searchsorted(days, np.datetime64(window[0]), "left")
    hi = np.searchsorted(days, np.datetime64(window[1]), "right") - 1
    return int(lo), int(hi)


# ---------------------------------------------------------------- the clinic


@dataclass
class _Clinic:
    """Everything the row generators need about services, staff and sites."""

    n_sites: int
    days: np.ndarray
    staff_profile: np.ndarray  # per internal staff index; the locum is last
    staff_site: np.ndarray
    staff_num: np.ndarray  # number in the STF- id
    staff_lo: np.ndarray  # first and last workday index
    staff_hi: np.ndarray
    svc_lo: np.ndarray  # per catalogue entry, then the unknown services
    svc_hi: np.ndarray
    unknown_nums: np.ndarray  # numbers of the SRV- ids absent from services.csv
    svc_width: int
    staff_width: int
    locations: list[str]


def _id_width(largest: int) -> int:
    return max(3, len(str(largest)))


def _unused_numbers(count: int, how_many: int) -> list[int]:
    """Id numbers above ``count`` that look deliberate (…98, …99)."""
    top = 10 ** len(str(count + how_many)) - 1
    return list(range(top - how_many + 1, top + 1))


def _clinic(n_sites: int) -> _Clinic:
    days = _workdays()
    profiles = [m.profile for m in STAFF] + list(SITE_TEMPLATE) * (n_sites - 1) + [LOCUM.profile]
    sites = [0] * len(STAFF) + [1 + i // len(SITE_TEMPLATE) for i in range(len(SITE_TEMPLATE) * (n_sites - 1))] + [0]
    n_staff = len(profiles) - 1
    locum_num = _unused_numbers(n_staff, 1)[0]
    ranges = [_day_range(days, m.window) for m in STAFF]
    ranges += [_day_range(days, None)] * (n_staff - len(STAFF)) + [_day_range(days, LOCUM.window)]
    svc_ranges = [_day_range(days, s.window) for s in SERVICES]
    svc_ranges += [_day_range(days, None)] * N_UNKNOWN_SERVICES
    n_services = len(SERVICES) * n_sites
    unknown = _unused_numbers(n_services, N_UNKNOWN_SERVICES)
    return _Clinic(
        n_sites=n_sites,
        days=days,
        staff_profile=np.array(profiles, dtype=np.int8),
        staff_site=np.array(sites, dtype=np.int32),
        staff_num=np.array(list(range(1, n_staff + 1)) + [locum_num], dtype=np.int32),
        staff_lo=np.array([r[0] for r in ranges]),
        staff_hi=np.array([r[1] for r in ranges]),
        svc_lo=np.array([r[0] for r in svc_ranges]),
        svc_hi=np.array([r[1] for r in svc_ranges]),
        unknown_nums=np.array(unknown, dtype=np.int32),
        svc_width=_id_width(unknown[-1]),
        staff_width=_id_width(locum_num),
        locations=[_location(k) for k in range(n_sites)],
    )


def _site_label(k: int) -> str:
    name = SITES[k % len(SITES)][0]
    return name if k < len(SITES) else f"{name} {k // len(SITES) + 1}"


def _location(k: int) -> str:
    return f"Clinique médicale {_site_label(k)}, {SITES[k % len(SITES)][1]}, Montréal"


def _services_table(c: _Clinic) -> pd.DataFrame:
    rows = []
    for k in range(c.n_sites):
        suffix = "" if k == 0 else f" – {_site_label(k)}"
        for i, s in enumerate(SERVICES):
            rows.append(
                (
                    f"SRV-{k * len(SERVICES) + i + 1:0{c.svc_width}d}",
                    s.name + suffix,
                    "active" if s.active else "inactive",
                    s.created,
                )
            )
    return pd.DataFrame(rows, columns=["service_id", "name", "emr_status", "created_at"])


def _staff_table(c: _Clinic, rng: np.random.Generator) -> pd.DataFrame:
    n_other = len(c.staff_num) - 1 - len(STAFF)
    first = rng.integers(0, len(FIRST_NAMES), n_other)
    last = rng.integers(0, len(SURNAMES), n_other)
    members = list(STAFF) + [
        _Member(f"{SURNAMES[b]}, {FIRST_NAMES[a]}", ROLE_OF[p], p, SPECIALTY_OF.get(p))
        for a, b, p in zip(first, last, c.staff_profile[len(STAFF) : -1])
    ]
    # Licence numbers are unique; the locum's is drawn too so that adding him
    # later would not change anyone else's.
    licences = rng.choice(90_000, size=len(members) + 1, replace=False) + 10_000
    rows = []
    for m, num, lic in zip(members, c.staff_num, licences):
        prefix = {"medecin": "1-", "ips": "5-"}.get(m.role)
        rows.append(
            (
                f"STF-{num:0{c.staff_width}d}",
                m.name,
                "active" if m.active else "inactive",
                f"{prefix}{lic}" if prefix else None,
                m.role,
                m.specialty,
                "true" if m.responsible else "false",
                "true" if m.volunteer else "false",
            )
        )
    columns = ["staff_id", "name", "status", "license", "role", "specialty", "responsible", "volunteer"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- row drawing


@dataclass
class _Rows:
    """Appointments or availabilities before they become a table."""

    staff: np.ndarray  # internal staff index
    day: np.ndarray  # workday index
    svc: np.ndarray  # catalogue index; len(SERVICES) + k for unknown service k
    quarters: np.ndarray  # duration in quarter-hours, 1 to 3
    slot: np.ndarray | None = None  # start, in quarter-hours after 08:00

    def start_end(self, c: _Clinic) -> tuple[np.ndarray, np.ndarray]:
        """Seconds since 1970 of local wall time (naive, America/Montreal)."""
        day_s = c.days.astype("datetime64[s]").astype(np.int64)
        assert self.slot is not None, "slots are placed before their times are asked"
        start = day_s[self.day] + 8 * 3600 + self.slot * 900
        return start, start + self.quarters * 900


def _draw_rows(rng, c: _Clinic, n: int, volume: dict, decay: float, weight_of) -> _Rows:
    staff, day = _draw_staff_days(rng, c, n, volume, decay)
    svc = _draw_services(rng, c, staff, day, weight_of)
    return _Rows(staff, day, svc, _durations(rng, svc))


def _draw_staff_days(rng, c: _Clinic, n: int, volume: dict, decay: float):
    """(staff, workday) of each row: each member's volume spread over the days
    they work, shaped by the clinic's calendar and a random busyness per day.

    Systematic sampling (one uniform offset, then every unit of expected
    count) gives each day the floor or ceiling of its expected count, so an
    agenda is never absurdly overbooked the way independent draws would make
    it; the per-day noise keeps days unequal."""
    staff_w = np.array([volume[int(p)] for p in c.staff_profile])
    idx = np.arange(len(c.days))
    works = (idx[None, :] >= c.staff_lo[:, None]) & (idx[None, :] <= c.staff_hi[:, None])
    cell_w = staff_w[:, None] * _day_weights(c.days, decay)[None, :] * works
    cell_w = cell_w * np.minimum(rng.gamma(16.0, 1 / 16.0, cell_w.shape), 1.6)  # no crazy days
    expected = np.cumsum(cell_w.ravel()) * (n / cell_w.sum())
    cells = np.searchsorted(expected, np.arange(n) + rng.random(), side="right")
    cells = np.minimum(cells, cell_w.size - 1)  # rounding of the last cumulative sum
    return (cells // len(c.days)).astype(np.int32), (cells % len(c.days)).astype(np.int32)


def _draw_services(rng, c: _Clinic, staff, day, weight_of) -> np.ndarray:
    """Catalogue index per row, drawn from the member's profile mix and
    redrawn while it falls outside the service's booking window."""
    weights = np.array([weight_of(s) for s in SERVICES], dtype=float)  # (services, profiles)
    profile = c.staff_profile[staff]
    svc = np.zeros(len(staff), dtype=np.int16)
    always = [i for i, s in enumerate(SERVICES) if s.window is None]
    for p in range(weights.shape[1]):
        rows = np.flatnonzero(profile == p)
        if len(rows) == 0 or weights[:, p].sum() == 0:
            continue
        prob = weights[:, p] / weights[:, p].sum()
        svc[rows] = rng.choice(len(SERVICES), size=len(rows), p=prob)
        for _ in range(20):
            bad = rows[(day[rows] < c.svc_lo[svc[rows]]) | (day[rows] > c.svc_hi[svc[rows]])]
            if len(bad) == 0:
                break
            svc[bad] = rng.choice(len(SERVICES), size=len(bad), p=prob)
        svc[bad] = always[int(np.argmax(prob[always]))]  # after 20 tries: the profile's staple
    return svc


def _durations(rng, svc: np.ndarray) -> np.ndarray:
    """Duration in quarter-hours (1–3) from each service's mix."""
    dur = np.array([s.dur for s in SERVICES] + [(0, 1, 0)] * N_UNKNOWN_SERVICES, dtype=float)
    cum = np.cumsum(dur / dur.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(svc))
    return (1 + (u > cum[svc, 0]) + (u > cum[svc, 1])).astype(np.int64)


# ---------------------------------------------------------------- schedule

# A working day: morning 08:00–12:00, lunch 12:00–13:00, afternoon 13:00–17:00,
# as (first quarter-hour after 08:00, number of quarter-hours).
PARTS = np.array([(0, 16), (16, 4), (20, 16)])
MORNING, LUNCH_HOUR, AFTERNOON = range(3)


def _schedule(rng, c: _Clinic, *tables: _Rows) -> None:
    """Give every row a start slot so that a member's appointments and open
    slots of a day never overlap, as in a real agenda. A day that cannot hold
    its rows (over 7 h 30 of bookings, very rare) hands the extra rows to the
    member's next workday, and only the days concerned are placed again;
    after a few rounds any remainder keeps an overlapping slot rather than
    looping forever."""
    staff = np.concatenate([t.staff for t in tables]).astype(np.int64)
    day = np.concatenate([t.day for t in tables]).astype(np.int64)
    svc = np.concatenate([t.svc for t in tables])
    quarters = np.concatenate([t.quarters for t in tables])
    slot, misfit = _place(rng, staff * len(c.days) + day, svc, quarters)
    for _ in range(4):
        if not misfit.any():
            break
        moved = day[misfit] + 1
        day[misfit] = np.where(moved > c.staff_hi[staff[misfit]], c.staff_lo[staff[misfit]], moved)
        cell = staff * len(c.days) + day
        again = np.flatnonzero(np.isin(cell, cell[misfit]))
        misfit = np.zeros(len(cell), dtype=bool)
        slot[again], misfit[again] = _place(rng, cell[again], svc[again], quarters[again])
    slot[misfit] = (rng.random(misfit.sum()) * (37 - quarters[misfit])).astype(np.int64)
    bounds = np.cumsum([len(t.svc) for t in tables])[:-1]
    for t, rows_slot, rows_day in zip(tables, np.split(slot, bounds), np.split(day, bounds)):
        t.slot, t.day = rows_slot, rows_day.astype(np.int32)


def _place(rng, cell, svc, quarters):
    """One placement round: in each (member, day) cell, one lunch break at
    noon and the other rows, in random order, split between morning and
    afternoon at a random point chosen so that both halves fit; then each
    part of the day is packed. Returns slots (quarter-hours after 08:00) and
    the rows that did not fit."""
    # Random order within a day; rows arrive nearly sorted by cell, so this sort is cheap.
    order = np.argsort(cell * (1 << 30) + rng.integers(0, 1 << 30, len(cell)))
    cell, svc, quarters = cell[order], svc[order], quarters[order]
    first = _first_of_group(cell)
    gid = np.cumsum(first) - 1
    last = _last_of_group(first)
    lunch = svc == LUNCH
    lunch[lunch] = _first_of_group(gid[lunch])  # a second lunch is just another block
    used = _within(np.where(lunch, 0, quarters), first, gid)
    total = used[last]
    # Morning takes the prefix with used <= split: at most 16 quarters, and
    # at least split - 2, so the afternoon gets at most 16 when split >= total - 14.
    low, high = np.maximum(total - 14, 0), np.minimum(total, 16)
    split = low + (rng.random(len(total)) * (np.maximum(high - low, 0) + 1)).astype(np.int64)
    part = np.where(lunch, LUNCH_HOUR, np.where(used <= split[gid], MORNING, AFTERNOON))
    slot = np.empty(len(cell), dtype=np.int64)
    misfit = np.empty(len(cell), dtype=bool)
    for p, (offset, capacity) in enumerate(PARTS):
        rows = part == p
        start = _pack(rng, np.where(rows, quarters, 0), rows, first, gid, last, capacity)
        slot[rows] = offset + start[rows]
        misfit[rows] = (start + quarters > capacity)[rows]
    placed, unplaced = np.empty_like(slot), np.empty_like(misfit)
    placed[order], unplaced[order] = slot, misfit
    return placed, unplaced


def _pack(rng, quarters, rows, first, gid, last, capacity):
    """Lay the selected rows of each cell one after another with random gaps
    inside ``capacity`` quarter-hours; return each row's start (meaningful
    for selected rows only). Within-cell sums are global cumulative sums
    minus the cell's base, so no Python loop and no sort."""
    used = _within(quarters, first, gid)  # quarters up to and including the row
    free = np.maximum(capacity - used[last], 0)
    gap_w = np.where(rows, rng.standard_exponential(len(rows)), 0.0)  # one gap before each row...
    cum_w = _within(gap_w, first, gid)
    total_w = cum_w[last] + rng.standard_exponential(len(last))  # ...and one after the last
    return np.rint(free[gid] * cum_w / total_w[gid]).astype(np.int64) + used - quarters


def _first_of_group(group: np.ndarray) -> np.ndarray:
    """Which rows of a sorted group array open their group."""
    first = np.ones(len(group), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return first


def _last_of_group(first: np.ndarray) -> np.ndarray:
    """Indices of the last row of each group, from the group-opening mask."""
    return np.flatnonzero(np.r_[first[1:], True])


def _within(x: np.ndarray, first: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of ``x`` restarting at every group."""
    cs = np.cumsum(x)
    return cs - (cs - x)[first][gid]


def _service_numbers(c: _Clinic, staff, svc) -> np.ndarray:
    """SRV- number: the site's copy of the catalogue entry, or an unknown id."""
    known = svc < len(SERVICES)
    unknown = c.unknown_nums[np.clip(svc - len(SERVICES), 0, N_UNKNOWN_SERVICES - 1)]
    return np.where(known, c.staff_site[staff] * len(SERVICES) + svc + 1, unknown).astype(np.int32)


def _order(c: _Clinic, start, staff) -> np.ndarray:
    """Rows by start, then staff: the order an EMR numbers them in."""
    return np.argsort(start * len(c.staff_num) + staff, kind="stable")


# ---------------------------------------------------------------- patients


def _patient_pool(rng, size: int):
    """RAMQ-like references (4 letters + YYMMDD + 2 digits, month + 50 for
    women) with the attributes that decide who books what."""
    female = rng.random(size) < 0.53
    band = rng.choice(4, size=size, p=[0.08, 0.10, 0.52, 0.30])  # 0–5, 6–17, 18–64, 65–95 years
    lo, hi = np.array([0, 6, 18, 65])[band], np.array([6, 18, 65, 96])[band]
    age_days = ((lo + rng.random(size) * (hi - lo)) * 365.25).astype(np.int64)
    birth = np.datetime64("2026-07-01") - age_days.astype("timedelta64[D]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    digits = (year % 100) * 1_000_000 + (month + 50 * female) * 10_000 + dom * 100 + rng.integers(10, 100, size)
    letters = rng.integers(0, len(RAMQ_PREFIXES), size) * 32 + rng.integers(0, len(INITIALS), size)
    age = age_days / 365.25
    groups = {
        "any": np.arange(size),
        "child": np.flatnonzero(age < 18),
        "woman": np.flatnonzero(female & (age >= 18) & (age < 45)),
        "senior": np.flatnonzero(age >= 65),
    }
    return letters.astype(np.int16), digits.astype(np.int32), groups


def _patients(rng, svc, n_pool: int):
    """Patient per appointment, from the group its service serves; frequent
    visitors come back often. Administrative blocks have none."""
    letters, digits, groups = _patient_pool(rng, n_pool)
    group_of = [s.patients for s in SERVICES] + ["any"] * N_UNKNOWN_SERVICES
    group = np.array([PATIENT_GROUPS.index(g) for g in group_of], dtype=np.int8)[svc]
    who = np.full(len(svc), -1, dtype=np.int64)
    for g, name in enumerate(PATIENT_GROUPS):
        rows = np.flatnonzero(group == g)
        if name == "none" or len(rows) == 0:
            continue
        members = groups[name]
        who[rows] = members[(len(members) * rng.random(len(rows)) ** 1.8).astype(np.int64)]
    # A few bookings are made before the patient is identified.
    who[rng.random(len(svc)) < 0.02] = -1
    return np.where(who >= 0, letters[who], -1).astype(np.int16), np.where(who >= 0, digits[who], 0).astype(np.int32)


# ---------------------------------------------------------------- tables


def _appointment_rows(rng, c: _Clinic, n: int) -> _Rows:
    rows = _draw_rows(rng, c, n, APPT_VOLUME, 30.0, lambda s: s.appt)
    # A few appointments still point at services deleted from the EMR.
    odd = rng.choice(n, size=min(n, max(3, n // 3000)), replace=False)
    rows.svc[odd] = len(SERVICES) + rng.integers(0, N_UNKNOWN_SERVICES, len(odd))
    rows.quarters[odd] = 2
    return rows


def _appointments(rng, c: _Clinic, rows: _Rows) -> pd.DataFrame:
    start, end = rows.start_end(c)
    admin = np.array([s.admin for s in SERVICES] + [False] * N_UNKNOWN_SERVICES)[rows.svc]
    status = _statuses(rng, rows.day < np.searchsorted(c.days, EXPORT_DAY), admin)
    letters, digits = _patients(rng, rows.svc, max(300, len(start) // 6))
    order = _order(c, start, rows.staff)
    return pd.DataFrame(
        {
            "i": np.arange(1, len(start) + 1),
            "svc": _service_numbers(c, rows.staff, rows.svc)[order],
            "stf": c.staff_num[rows.staff][order],
            "start_s": start[order],
            "end_s": end[order],
            "status": status[order],
            "pl": letters[order],
            "pd": digits[order],
        }
    )


def _statuses(rng, past, admin) -> np.ndarray:
    """Past: mostly fulfilled, ~8 % cancelled, ~4 % no-shows (blocks never
    no-show). Future: booked, ~5 % already cancelled."""
    u = rng.random(len(past))
    status = np.where(u < 0.05, CANCELLED, BOOKED)
    past_status = np.where(u < 0.08, CANCELLED, np.where(u < 0.12, NOSHOW, FULFILLED))
    past_status = np.where(admin & (past_status == NOSHOW), FULFILLED, past_status)
    return np.where(past, past_status, status).astype(np.int8)


def _availabilities(rng, c: _Clinic, rows: _Rows) -> pd.DataFrame:
    start, end = rows.start_end(c)
    n = len(start)
    reason = np.array([REASONS.index(s.reason) for s in SERVICES], dtype=np.int8)[rows.svc]
    frame = {
        "svc": _service_numbers(c, rows.staff, rows.svc),
        "stf": c.staff_num[rows.staff],
        "start_s": start,
        "end_s": end,
        "pub_s": _published(rng, c, rows.day, reason),
        **_regulatory_codes(rng, reason, rows.svc),
        "loc": np.where(rng.random(n) < 0.04, -1, c.staff_site[rows.staff]).astype(np.int32),
    }
    order = _order(c, start, rows.staff)
    return pd.DataFrame({"i": np.arange(1, n + 1), **{k: v[order] for k, v in frame.items()}})


def _published(rng, c: _Clinic, day, reason) -> np.ndarray:
    """When the slot opened: a day or two ahead for urgent slots, up to six
    weeks for follow-ups, during office hours; ~2 % not recorded (-1)."""
    lead = np.where(
        reason == 0,
        rng.integers(1, 3, len(day)),
        np.where(reason == 1, rng.integers(2, 8, len(day)), rng.integers(7, 43, len(day))),
    )
    day_s = c.days.astype("datetime64[s]").astype(np.int64)
    published = day_s[day] - lead * 86_400 + 7 * 3600 + rng.integers(0, 660, len(day)) * 60
    return np.where(rng.random(len(day)) < 0.02, -1, published)


def _pick(rng, cum_table: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Code index per row from a per-group cumulative probability table."""
    u = rng.random(len(group))
    index = (u[:, None] > cum_table[group]).sum(axis=1)
    return np.minimum(index, cum_table.shape[1] - 1).astype(np.int8)  # rounding at 1.0


def _regulatory_codes(rng, reason, svc) -> dict[str, np.ndarray]:
    """Regulatory attributes, partly missing (-1) as in real exports."""
    n = len(svc)
    kind = np.minimum(reason, 2)  # urgent, semi-urgent, follow-up
    clientele = _pick(
        rng, np.cumsum([[0.3, 0.2, 0, 0.5], [0.4, 0.2, 0.1, 0.3], [0.75, 0.15, 0.05, 0.05]], axis=1), kind
    )
    mode = np.array([MODES.index(s.mode) for s in SERVICES], dtype=np.int8)[svc]
    # Redirections (GAP, 811…) only reach urgent and semi-urgent slots.
    referral = _pick(rng, np.cumsum([[0.3, 0.05, 0.55, 0.1]], axis=1), np.zeros(n, dtype=np.int8))
    referral = np.where((kind < 2) & (rng.random(n) < 0.35), referral, -1)
    return {
        "reason": np.where(rng.random(n) < 0.10, -1, reason).astype(np.int8),
        "clientele": np.where(rng.random(n) < 0.15, -1, clientele).astype(np.int8),
        "mode": np.where(rng.random(n) < 0.05, -1, mode).astype(np.int8),
        "referral": referral.astype(np.int8),
    }


# ---------------------------------------------------------------- writing


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _code(column: str, values) -> str:
    """SQL for a code column stored as an index, -1 meaning empty."""
    return f"CASE WHEN {column} < 0 THEN NULL ELSE {_sql_list(values)}[{column} + 1] END"


def _iso(column: str) -> str:
    return f"strftime(make_timestamp({column} * 1000000), '%Y-%m-%dT%H:%M:%S')"


def _ids(prefix: str, column: str, width: int) -> str:
    return f"'{prefix}' || lpad(CAST({column} AS VARCHAR), {width}, '0')"


def _copy(con, frame: pd.DataFrame, select: str, path: Path) -> int:
    con.register("src", frame)
    target = str(path).replace("'", "''")
    con.execute(f"COPY ({select} FROM src) TO '{target}' (HEADER, DELIMITER ',')")
    con.unregister("src")
    return len(frame)


def _appointments_sql(c: _Clinic, width: int) -> str:
    return f"""SELECT {_ids("APT-", "i", width)} AS appointment_id,
        {_ids("SRV-", "svc", c.svc_width)} AS service_id,
        {_ids("STF-", "stf", c.staff_width)} AS staff_id,
        {_iso("start_s")} AS "start", {_iso("end_s")} AS "end",
        {_code("status", STATUSES)} AS status,
        CASE WHEN pl < 0 THEN NULL ELSE {_sql_list(RAMQ_PREFIXES)}[pl // 32 + 1]
             || {_sql_list(INITIALS)}[pl % 32 + 1] || lpad(CAST(pd AS VARCHAR), 8, '0')
        END AS patient_ref"""


def _availabilities_sql(c: _Clinic, width: int) -> str:
    return f"""SELECT {_ids("AVL-", "i", width)} AS availability_id,
        {_ids("SRV-", "svc", c.svc_width)} AS service_id,
        {_ids("STF-", "stf", c.staff_width)} AS staff_id,
        {_iso("start_s")} AS "start", {_iso("end_s")} AS "end",
        CASE WHEN pub_s < 0 THEN NULL ELSE {_iso("pub_s")} END AS published_at,
        {_code("reason", REASONS)} AS reason,
        {_code("clientele", CLIENTELES)} AS clientele,
        {_code("mode", MODES)} AS mode,
        {_code("referral", REFERRALS)} AS referral_source,
        {_code("loc", c.locations)} AS location"""


def write_demo_export(
    folder: Path, scale: int = 1, *, appointments: int | None = None, seed: int = 2026
) -> dict[str, int]:
    """Write the demo clinic's EMR export (docs/export-format.md) as four CSV files into
    ``folder`` and return the row count of each table.

    ``scale`` multiplies appointments, staff and services (one site of about
    17,500 appointments per unit); ``appointments`` sets the appointment
    count directly, the number of sites following from it. Availabilities
    are about a quarter of the appointments.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    n_appts = APPOINTMENTS_PER_SITE * scale if appointments is None else int(appointments)
    if n_appts < 1:
        raise ValueError("appointments must be at least 1")
    n_sites = scale if appointments is None else max(1, -(-n_appts // APPOINTMENTS_PER_SITE))
    n_avail = max(1, round(n_appts / 4))
    rng = np.random.default_rng(seed)
    clinic = _clinic(n_sites)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    appts = _appointment_rows(rng, clinic, n_appts)
    avails = _draw_rows(rng, clinic, n_avail, AVAIL_VOLUME, 60.0, lambda s: s.avail)
    _schedule(rng, clinic, appts, avails)
    con = duckdb.connect()
    try:
        counts = {
            "services": _copy(con, _services_table(clinic), "SELECT *", folder / "services.csv"),
            "staff": _copy(con, _staff_table(clinic, rng), "SELECT *", folder / "staff.csv"),
        }
        frame = _appointments(rng, clinic, appts)
        del appts
        counts["appointments"] = _copy(
            con, frame, _appointments_sql(clinic, _id_width_rows(n_appts)), folder / "appointments.csv"
        )
        frame = _availabilities(rng, clinic, avails)
        del avails
        counts["availabilities"] = _copy(
            con, frame, _availabilities_sql(clinic, _id_width_rows(n_avail)), folder / "availabilities.csv"
        )
    finally:
        con.close()
    return counts


def _id_width_rows(n: int) -> int:
    return max(7, len(str(n)))


# Words of made-up service names, for the large catalogues of the benchmarks and speed tests.
NAME_WORDS = (
    "Consultation",
    "Vaccination",
    "Suivi",
    "Pédiatrie",
    "Prélèvement",
    "Évaluation",
    "Pause",
    "Réunion",
    "Télémédecine",
    "Dépistage",
    "Hygiène",
    "Échographie",
    "Cardiologie",
    "Santé mentale",
    "Physiothérapie",
)


def service_names(n: int) -> list[str]:
    """``n`` distinct made-up service names (``Vaccination – suivi n° 16``), accents and all:
    what a search over thousands of pending services is measured on."""
    words = NAME_WORDS
    return [f"{words[i % len(words)]} – {words[(i // len(words)) % len(words)].lower()} n° {i}" for i in range(n)]
