"""Synthetic learners, with their organizations, enrolments, progress, quiz attempts, certificates
and workshops, to fill a database for reports and benchmarks.

One generator seeded with ``seed`` and a fixed last day drive every value, so a seed gives the
same rows on every database; only secrets differ (session and invitation tokens, credential
salts). Rows are written in bulk, through COPY on PostgreSQL: no ORM object is built per row.
"""

import json
import math
import random
import secrets
from bisect import bisect_left, bisect_right
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import combinations, permutations
from time import perf_counter
from types import SimpleNamespace

import jwt
import sqlalchemy as sa
from psycopg import sql as psycopg_sql

from certificates import keys
from certificates.codes import ALPHABET, LENGTH
from certificates.credentials import build_credential
from certificates.issuing import issuer_settings
from certificates.models import Certificate, CertificateKind
from courses.cohorts.models import (
    Attendance,
    AttendanceStatus,
    Cohort,
    CohortMember,
    CohortSession,
    SessionMode,
    cohort_partners,
    cohort_trainers,
)
from courses.content_files import import_courses
from courses.models import (
    Course,
    CourseStatus,
    CourseTranslation,
    Enrollment,
    Lesson,
    LessonProgress,
    Module,
)
from lms.accounts.models import Gender, Role, User
from lms.accounts.services import check_password_rules
from lms.extensions import db
from lms.i18n import LANGUAGES, from_local, local_zone
from lms.organizations.models import (
    Organization,
    OrganizationStatus,
    OrganizationType,
    name_key,
)
from lms.organizations.regions import Region
from lms.reports.facts import rebuild
from lms.security import hash_password
from quizzes.banks import import_banks
from quizzes.models import (
    Attempt,
    AttemptState,
    Question,
    Quiz,
    QuizDraw,
    QuizKind,
    QuizQuestion,
)
from quizzes.types import TYPES

DOMAIN = "synthetic.example"
YEARS = 3
BATCH = 10_000

# Share of the population (2014 census, percent) and towns, the regional capital first.
REGIONS = {
    Region.TANGER_TETOUAN_AL_HOCEIMA: (10.5, "Tanger,Tétouan,Al Hoceïma,Larache,Ksar El Kébir,Chefchaouen,Fnideq"),
    Region.ORIENTAL: (6.8, "Oujda,Nador,Berkane,Taourirt,Jerada,Figuig"),
    Region.FES_MEKNES: (12.4, "Fès,Meknès,Taza,Sefrou,Ifrane,El Hajeb,Taounate"),
    Region.RABAT_SALE_KENITRA: (13.5, "Rabat,Salé,Kénitra,Témara,Khémisset,Sidi Kacem,Sidi Slimane"),
    Region.BENI_MELLAL_KHENIFRA: (7.4, "Béni Mellal,Khouribga,Khénifra,Fquih Ben Salah,Azilal,Kasba Tadla"),
    Region.CASABLANCA_SETTAT: (20.3, "Casablanca,Mohammédia,El Jadida,Settat,Berrechid,Benslimane,Sidi Bennour"),
    Region.MARRAKECH_SAFI: (13.4, "Marrakech,Safi,Essaouira,El Kelaâ des Sraghna,Youssoufia,Chichaoua"),
    Region.DRAA_TAFILALET: (4.8, "Errachidia,Ouarzazate,Zagora,Tinghir,Midelt"),
    Region.SOUSS_MASSA: (7.9, "Agadir,Inezgane,Aït Melloul,Taroudant,Tiznit,Tata"),
    Region.GUELMIM_OUED_NOUN: (1.3, "Guelmim,Tan-Tan,Sidi Ifni,Assa"),
    Region.LAAYOUNE_SAKIA_EL_HAMRA: (1.1, "Laâyoune,Boujdour,Smara,Tarfaya"),
    Region.DAKHLA_OUED_ED_DAHAB: (0.4, "Dakhla,Aousserd"),
}

# Names as "Latin:Arabic", comma-separated.
FEMALE_NAMES = (
    "Fatima:فاطمة,Khadija:خديجة,Amina:أمينة,Meryem:مريم,Salma:سلمى,Imane:إيمان,Hajar:هاجر,Nadia:نادية,"
    "Zineb:زينب,Samira:سميرة,Loubna:لبنى,Sanaa:سناء,Hanane:حنان,Naima:نعيمة,Rachida:رشيدة,Siham:سهام,"
    "Asmae:أسماء,Kaoutar:كوثر,Ghizlane:غزلان,Houda:هدى,Yasmine:ياسمين,Widad:وداد,Ikram:إكرام,Soukaina:سكينة,"
    "Btissam:ابتسام,Malika:مليكة,Latifa:لطيفة,Karima:كريمة,Hind:هند,Najat:نجاة,Aicha:عائشة,Safae:صفاء,"
    "Oumaima:أميمة,Chaimae:شيماء,Nora:نورة,Wiam:وئام,Lamia:لمياء,Fadwa:فدوى,Jamila:جميلة,Rim:ريم"
)
MALE_NAMES = (
    "Mohamed:محمد,Ahmed:أحمد,Youssef:يوسف,Hamza:حمزة,Omar:عمر,Karim:كريم,Mehdi:مهدي,Anas:أنس,Ayoub:أيوب,"
    "Hicham:هشام,Rachid:رشيد,Said:سعيد,Abdellah:عبد الله,Mustapha:مصطفى,Khalid:خالد,Nabil:نبيل,Adil:عادل,"
    "Driss:إدريس,Hassan:حسن,Ilyas:إلياس,Amine:أمين,Othmane:عثمان,Zakaria:زكرياء,Soufiane:سفيان,Tarik:طارق,"
    "Yassine:ياسين,Jamal:جمال,Mourad:مراد,Brahim:إبراهيم,Abdelkader:عبد القادر,Aziz:عزيز,Redouane:رضوان,"
    "Badr:بدر,Ismail:إسماعيل,Noureddine:نور الدين,Samir:سمير,Walid:وليد,Bilal:بلال,Mounir:منير"
)
FAMILY_NAMES = (
    "Alaoui:العلوي,Benali:بنعلي,Bennani:بناني,Berrada:برادة,Chraibi:الشرايبي,El Amrani:العمراني,"
    "El Idrissi:الإدريسي,Tazi:التازي,Fassi:الفاسي,Benjelloun:بنجلون,Ouazzani:الوزاني,Lahlou:لحلو,"
    "Kettani:الكتاني,Cherkaoui:الشرقاوي,Naciri:الناصري,Ziani:الزياني,Bouzid:بوزيد,Haddad:الحداد,"
    "Mansouri:المنصوري,Bakkali:البقالي,Zerouali:الزروالي,Belhaj:بلحاج,Rahmouni:الرحموني,Ait Ali:آيت علي,"
    "Ait Lahcen:آيت لحسن,Amzil:أمزيل,Boukhari:البخاري,Saidi:السعيدي,Tahiri:الطاهري,Jabri:الجابري,"
    "Karimi:الكريمي,Rifi:الريفي,Soussi:السوسي,Sahraoui:الصحراوي,Doukkali:الدكالي,Filali:الفلالي,"
    "Benkirane:بنكيران,Mernissi:المرنيسي,Ennaji:الناجي,Oulhaj:أولحاج,El Khatib:الخطيب,Hajji:الحجي"
)

ORGANIZATION_NAMES = {
    OrganizationType.GOVERNMENT: [
        "Délégation de l'Entraide nationale de {city}", "Direction provinciale de l'emploi de {city}",
        "Tribunal de première instance de {city}", "Sûreté provinciale de {city}",
        "Délégation de la santé de {city}", "Commune de {city}",
    ],
    OrganizationType.CIVIL_SOCIETY: [
        "Association Amal {city}", "Association Al Karama de {city}", "Fondation Tadamoun {city}",
        "Association Tiwizi {city}", "Réseau des associations de {city}", "Association Insaf {city}",
        "Centre d'écoute Ennour {city}",
    ],
    OrganizationType.ACADEMIC: [
        "Faculté des sciences juridiques de {city}", "École supérieure de technologie de {city}",
        "Institut de formation des travailleurs sociaux de {city}", "Faculté pluridisciplinaire de {city}",
    ],
    OrganizationType.INTERNATIONAL: [
        "Bureau de projet migration ({city})", "Antenne de coopération internationale ({city})",
        "Programme international de protection de l'enfance ({city})",
    ],
    OrganizationType.PRIVATE: [
        "Agence de recrutement Atlas {city}", "Cabinet RH Horizon {city}", "Groupe agricole Argane {city}",
        "Hôtel Médina {city}",
    ],
    OrganizationType.MEDIA: [
        "Radio {city} FM", "Le Journal de {city}", "{city} Info", "Télévision régionale de {city}",
    ],
}
# How often each type appears beyond the one of each type every region has.
ORGANIZATION_WEIGHTS = {OrganizationType.GOVERNMENT: 25, OrganizationType.CIVIL_SOCIETY: 35,
                        OrganizationType.ACADEMIC: 15, OrganizationType.INTERNATIONAL: 5,
                        OrganizationType.PRIVATE: 10, OrganizationType.MEDIA: 10}
# "masculine/feminine" where French makes the difference; None: people without an organization.
PROFESSIONS = {
    OrganizationType.GOVERNMENT: (
        "Fonctionnaire,Inspecteur du travail/Inspectrice du travail,Officier de police judiciaire,"
        "Magistrat/Magistrate,Éducateur/Éducatrice,Conseiller en emploi/Conseillère en emploi"),
    OrganizationType.CIVIL_SOCIETY: (
        "Travailleur social/Travailleuse sociale,Animateur/Animatrice,Chargé de projet/Chargée de projet,"
        "Bénévole,Juriste,Psychologue"),
    OrganizationType.ACADEMIC: "Étudiant/Étudiante,Enseignant-chercheur/Enseignante-chercheuse,Doctorant/Doctorante",
    OrganizationType.INTERNATIONAL: "Chargé de programme/Chargée de programme,Assistant de projet/Assistante de projet",
    OrganizationType.PRIVATE: "Chargé de recrutement/Chargée de recrutement,Responsable RH,Consultant/Consultante",
    OrganizationType.MEDIA: "Journaliste,Reporter,Rédacteur/Rédactrice",
    None: "Demandeur d'emploi/Demandeuse d'emploi,Étudiant/Étudiante,Indépendant/Indépendante",
}
ATTENDANCE = [AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED]


class SyntheticDataExists(Exception):
    """The database already holds synthetic accounts: seeding again would mix two data sets."""


def _pairs(text: str) -> list[tuple[str, str]]:
    return [tuple(item.split(":")) for item in text.split(",")]


@dataclass(slots=True)
class _Learner:
    id: int
    email: str
    name: str
    name_ar: str | None
    gender: Gender
    locale: str
    region: Region | None
    created_at: datetime
    ability: float


@dataclass
class _Quiz:
    id: int
    kind: QuizKind
    pass_mark: float
    attempts_allowed: int
    time_limit: int | None
    shuffle_questions: bool
    shuffle_options: bool
    fixed: list[int] = field(default_factory=list)
    draws: list[tuple[list[int], int]] = field(default_factory=list)
    # Whether a draw may meet a question already chosen (fixed, or in two drawn categories).
    overlapping: bool = False
    # For each draw of a quiz without overlaps, every set of questions it can pick (when few).
    picks: list[list[tuple]] = field(default_factory=list)


@dataclass
class _Course:
    id: int
    slug: str
    hours: float
    titles: dict
    lessons: list[int]
    quizzes: dict[QuizKind, list[_Quiz]]


class _Sink:
    """Buffers rows per table and writes them all, parents first, whenever one buffer is full.

    On PostgreSQL each batch goes through COPY in a background thread, so the next batch is
    generated while the server stores this one; the session waits for it before any query.
    """

    def __init__(self):
        self.buffers: dict[sa.Table, list[dict]] = {}
        connection = db.session.connection()
        self.copy = connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"
        self.writer = ThreadPoolExecutor(max_workers=1) if self.copy else None
        self.pending = None

    def add(self, table: sa.Table, row: dict) -> None:
        buffer = self.buffers.setdefault(table, [])
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        batches = [(table, rows) for table, rows in self.buffers.items() if rows]
        self.buffers = {table: [] for table in self.buffers}  # keeps the order tables came in
        if not self.copy:
            for table, rows in batches:
                db.session.execute(sa.insert(table), rows)
            return
        self.wait()
        connection = db.session.connection().connection.driver_connection
        self.pending = self.writer.submit(_copy, connection, batches)

    def wait(self) -> None:
        """Let the write in progress end, raising its error, before the session is used again."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.shutdown(wait=True)


def _copy(connection, batches: list[tuple[sa.Table, list[dict]]]) -> None:
    with connection.cursor() as cursor:
        for table, rows in batches:
            columns = list(rows[0])
            encoders = [_copy_encoder(table.c[name].type) for name in columns]
            statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
                psycopg_sql.Identifier(table.name), psycopg_sql.SQL(", ").join(map(psycopg_sql.Identifier, columns)))
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([value if encode is None or value is None else encode(value)
                                    for encode, value in zip(encoders, row.values())])


class _Ids:
    """Primary keys handed out before the rows are written, so children can name their parents.

    PostgreSQL reserves them from the table's sequence; SQLite counts on from the largest id.
    """

    def __init__(self, table: sa.Table, sink: _Sink):
        self.table, self.sink, self.free = table, sink, deque()
        self.postgresql = db.session.get_bind().dialect.name == "postgresql"
        if not self.postgresql:
            self.following = (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1

    def take(self, count: int = 1) -> list[int]:
        if not self.postgresql:
            self.following += count
            return list(range(self.following - count, self.following))
        if len(self.free) < count:
            self.sink.wait()
            sequence = sa.func.pg_get_serial_sequence(self.table.name, "id")
            self.free.extend(db.session.scalars(sa.select(sa.func.nextval(sequence))
                                                .select_from(sa.func.generate_series(1, max(count, BATCH)))))
        return [self.free.popleft() for _ in range(count)]

    def next(self) -> int:
        return self.free.popleft() if self.free else self.take()[0]


def _copy_encoder(column_type):
    """How COPY receives a value the ORM would convert: enums by value, JSON as text."""
    if isinstance(column_type, sa.Enum):
        return lambda member: member.value
    if isinstance(column_type, sa.JSON):
        return json.dumps
    return None


class _Seeder:
    """Makes the rows table after table, people first, every value from the one seeded generator."""

    def __init__(self, rng: random.Random, end: datetime, password_hash: str | None, questions: dict, echo):
        self.rng, self.end, self.start = rng, end, end - timedelta(days=365 * YEARS)
        self.password_hash, self.questions, self.echo = password_hash, questions, echo
        self.sink = _Sink()
        self.certificate_ids = _Ids(Certificate.__table__, self.sink)
        self.codes = set(db.session.scalars(sa.select(Certificate.code)))
        self.settings = issuer_settings()
        self.signing_key = keys.signing_key()
        self.zone = local_zone()
        self.clock = perf_counter()
        self.females, self.males = _pairs(FEMALE_NAMES), _pairs(MALE_NAMES)
        self.families = _pairs(FAMILY_NAMES)
        self.regions = list(REGIONS)
        self.cities = {region: cities.split(",") for region, (_, cities) in REGIONS.items()}
        self.organizations: dict[Region, list[dict]] = {}
        self.learners: list[_Learner] = []
        self.trainers: dict[Region, list[int]] = {}
        # (course id, region) -> enrolments as (enrolled_at, learner), sorted once all are made.
        self.enrolled: dict[tuple[int, Region], list[tuple[datetime, _Learner]]] = {}
        self.counts: dict[str, int] = {}

    # Helpers -----------------------------------------------------------------------------------

    def moment(self, low: datetime, high: datetime) -> datetime:
        """A moment between ``low`` and ``high`` (or ``low`` when they are in the wrong order), to the second."""
        span = max(0.0, (high - low).total_seconds())
        return low.replace(microsecond=0) + timedelta(seconds=int(self.rng.random() * span))

    def city(self, region: Region) -> str:
        cities = self.cities[region]
        return cities[0] if self.rng.random() < 0.4 else self.rng.choice(cities)

    def gender(self) -> Gender:
        draw = self.rng.random()
        if draw < 0.55:
            return Gender.FEMALE
        if draw < 0.99:
            return Gender.MALE
        return Gender.OTHER if draw < 0.993 else Gender.UNDISCLOSED

    def person(self, gender: Gender) -> tuple[str, str]:
        female = gender is Gender.FEMALE or (gender is not Gender.MALE and self.rng.random() < 0.5)
        first = self.rng.choice(self.females if female else self.males)
        family = self.rng.choice(self.families)
        return f"{first[0]} {family[0]}", f"{first[1]} {family[1]}"

    def profession(self, kind: OrganizationType | None, gender: Gender) -> str:
        forms = self.rng.choice(PROFESSIONS[kind].split(",")).split("/")
        return forms[-1] if gender is Gender.FEMALE else forms[0]

    def done(self, what: str, count: int) -> None:
        self.counts[what] = count
        self.echo(f"{what}: {count} ({perf_counter() - self.clock:.1f} s)")

    # Organizations and people ------------------------------------------------------------------

    def seed_organizations(self) -> None:
        taken = set(db.session.scalars(sa.select(Organization.name_key)))
        ids = _Ids(Organization.__table__, self.sink)
        kinds, weights = list(ORGANIZATION_WEIGHTS), list(ORGANIZATION_WEIGHTS.values())
        for region, (share, _) in REGIONS.items():
            extra = round(share * 0.35)
            for kind in list(OrganizationType) + self.rng.choices(kinds, weights, k=extra):
                city = self.city(region)
                name = self.rng.choice(ORGANIZATION_NAMES[kind]).format(city=city)
                number, unique = 1, name
                while name_key(unique) in taken:
                    number += 1
                    unique = f"{name} {number}"
                taken.add(name_key(unique))
                row = {"id": ids.next(), "name": unique, "name_key": name_key(unique), "type": kind, "city": city,
                       "region": region, "status": OrganizationStatus.APPROVED,
                       "created_at": self.moment(self.start - timedelta(days=400), self.start)}
                self.organizations.setdefault(region, []).append(row)
                self.sink.add(Organization.__table__, row)
        self.done("organizations", sum(len(rows) for rows in self.organizations.values()))

    def user_row(self, user_id: int, email: str, role: Role, region: Region | None,
                 organization: dict | None, created_at: datetime, gender: Gender) -> dict:
        name, name_ar = self.person(gender)
        invited = self.rng.random() < 0.15
        return {
            "id": user_id, "email": email, "full_name": name,
            "full_name_ar": name_ar if self.rng.random() < 0.45 else None,
            "password_hash": self.password_hash, "session_token": secrets.token_urlsafe(32), "role": role,
            "is_active": self.rng.random() < 0.985, "gender": gender,
            "organization_id": organization["id"] if organization else None,
            "profession": self.profession(organization["type"] if organization else None, gender),
            "city": (organization["city"] if organization and self.rng.random() < 0.75
                     else self.city(region) if region else ""),
            "region": region, "locale": self.rng.choices(["fr", "ar", "en"], [60, 33, 7])[0],
            "consent_at": created_at + timedelta(minutes=self.rng.randint(1, 90 * 24 * 60 if invited else 5)),
            "created_at": created_at, "invited_at": created_at if invited else None,
            "last_login_at": self.moment(created_at, self.end), "muted_emails": "",
        }

    def seed_people(self, learners: int) -> None:
        ids = _Ids(User.__table__, self.sink)
        weights = [share for share, _ in REGIONS.values()]
        span = (self.end - self.start).total_seconds()
        for number, user_id in enumerate(ids.take(learners), start=1):
            region = self.rng.choices(self.regions, weights)[0]
            organization = self.rng.choice(self.organizations[region]) if self.rng.random() < 0.82 else None
            if organization is None and self.rng.random() < 0.1:
                region = None  # did not say where they live
            # More people register as the platform becomes known: the density grows with time.
            created_at = (self.start + timedelta(seconds=math.sqrt(self.rng.random()) * span)).replace(microsecond=0)
            created_at = min(created_at, self.end - timedelta(days=1))
            gender = self.gender()
            row = self.user_row(user_id, f"learner{number:06d}@{DOMAIN}", Role.LEARNER, region, organization,
                                created_at, gender)
            row["consent_at"] = min(row["consent_at"], self.end)
            self.sink.add(User.__table__, row)
            self.learners.append(_Learner(user_id, row["email"], row["full_name"], row["full_name_ar"], gender,
                                          row["locale"], region, created_at, self.rng.gauss(0, 1)))
        self.done("learners", learners)

        staff = {Role.TRAINER: 0, Role.MANAGER: 0}
        trainers = max(len(self.regions), learners // 2000)
        for number in range(trainers):
            region = self.regions[number % len(self.regions)]
            choices = [o for o in self.organizations[region] if o["type"] is not OrganizationType.MEDIA]
            self._staff(ids.next(), Role.TRAINER, number + 1, region, self.rng.choice(choices))
            staff[Role.TRAINER] += 1
        for region in self.regions:
            for index, organization in enumerate(self.organizations[region]):
                if index % 3 == 0:
                    staff[Role.MANAGER] += 1
                    self._staff(ids.next(), Role.MANAGER, staff[Role.MANAGER], region, organization)
        self.done("trainers", staff[Role.TRAINER])
        self.done("managers", staff[Role.MANAGER])

    def _staff(self, user_id: int, role: Role, number: int, region: Region, organization: dict) -> None:
        gender = Gender.FEMALE if self.rng.random() < 0.6 else Gender.MALE
        row = self.user_row(user_id, f"{role.value}{number:04d}@{DOMAIN}", role, region, organization,
                            self.moment(self.start - timedelta(days=60), self.start), gender)
        row["is_active"] = True
        self.sink.add(User.__table__, row)
        if role is Role.TRAINER:
            self.trainers.setdefault(region, []).append(user_id)

    # Learning ----------------------------------------------------------------------------------

    def seed_learning(self, courses: list[_Course]) -> None:
        popularity = [self.rng.uniform(0.5, 2.0) for _ in courses]
        extra_share = min(1.0, 1.5 / (len(courses) - 1)) if len(courses) > 1 else 0
        tally = dict.fromkeys(["enrollments", "completed", "lesson_progress", "attempts", "certificates"], 0)
        for learner in self.learners:
            count = 1 + sum(self.rng.random() < extra_share for _ in range(len(courses) - 1))
            # Weighted draw without replacement: the smallest -log(u)/weight first.
            order = sorted(range(len(courses)), key=lambda i: -math.log(1 - self.rng.random()) / popularity[i])
            # The first course soon after registering, the others at any time since.
            last = self.end - timedelta(hours=2)
            moments = sorted([min(learner.created_at + timedelta(hours=self.rng.expovariate(1 / 24)), last)]
                             + [self.moment(learner.created_at, last) for _ in range(count - 1)])
            for index, enrolled_at in zip(order[:count], moments):
                self.enrol(learner, courses[index], enrolled_at.replace(microsecond=0), tally)
        for what, count in tally.items():
            self.done(what, count)
        for rows in self.enrolled.values():
            rows.sort(key=lambda item: (item[0], item[1].id))

    def enrol(self, learner: _Learner, course: _Course, enrolled_at: datetime, tally: dict) -> None:
        rng, lessons = self.rng, course.lessons
        # The learner's language when the course has it, as certificates choose theirs.
        language = learner.locale if learner.locale in course.titles else next(
            (code for code in LANGUAGES if code in course.titles), "fr")
        completed_at = None
        if rng.random() < 0.64:
            finish = enrolled_at + timedelta(days=min(rng.lognormvariate(math.log(8), 0.8), 300),
                                             hours=2 + rng.random() * 6)
            if finish < self.end:
                completed_at = finish.replace(microsecond=0)
        if completed_at is not None:
            done = len(lessons)
            last = completed_at - timedelta(hours=1)
        else:
            done = 0 if rng.random() < 0.25 or len(lessons) == 1 else rng.randint(1, len(lessons) - 1)
            last = min(self.end, enrolled_at + timedelta(days=rng.lognormvariate(math.log(10), 0.9)))
        first = enrolled_at + timedelta(hours=1)
        moments = sorted(self.moment(first, last) for _ in range(done))
        first_done = moments[0] if moments else None
        for lesson_id, moment in zip(lessons[:done], moments):
            self.sink.add(LessonProgress.__table__, {"user_id": learner.id, "lesson_id": lesson_id,
                                                     "course_id": course.id, "completed_at": moment})
        tally["lesson_progress"] += done

        scores = self.attempts(learner, course, language, enrolled_at, completed_at, done, tally)
        pre, post = scores.get(QuizKind.PRE_TEST), scores.get(QuizKind.POST_TEST)
        self.sink.add(Enrollment.__table__, {
            "user_id": learner.id, "course_id": course.id, "enrolled_at": enrolled_at, "enrolled_by_id": None,
            "started_at": first_done, "completed_at": completed_at, "pre_test_score": pre,
            "post_test_score": post,
            # As quizzes.completion records it.
            "knowledge_gain": round(post - pre, 2) if pre is not None and post is not None else None,
        })
        tally["enrollments"] += 1
        if learner.region is not None:
            self.enrolled.setdefault((course.id, learner.region), []).append((enrolled_at, learner))
        if completed_at is not None:
            tally["completed"] += 1
            if rng.random() < 0.93:  # completions recorded before certificates existed have none
                self.certificate(learner, course, language, completed_at)
                tally["certificates"] += 1

    def attempts(self, learner: _Learner, course: _Course, language: str, enrolled_at: datetime,
                 completed_at: datetime | None, done: int, tally: dict) -> dict[QuizKind, float]:
        """Pre-test soon after enrolling, post-test and passed graded quizzes before completing."""
        rng, scores = self.rng, {}
        for quiz in course.quizzes.get(QuizKind.PRE_TEST, [])[:1]:
            if rng.random() < 0.8:
                started = enrolled_at + timedelta(minutes=rng.randint(2, 40))
                scores[QuizKind.PRE_TEST] = self.attempt(quiz, learner, language, 1, started, learner.ability - 0.4)
        if completed_at is not None:
            for quiz in course.quizzes.get(QuizKind.POST_TEST, [])[:1]:
                if rng.random() < 0.85:
                    started = completed_at - timedelta(minutes=rng.randint(40, 55))
                    scores[QuizKind.POST_TEST] = self.attempt(quiz, learner, language, 1, started,
                                                              learner.ability + 1.0)
        for quiz in course.quizzes.get(QuizKind.GRADED, []):
            limit = quiz.attempts_allowed or 5
            if completed_at is not None:
                failures = min(limit - 1, 0 if rng.random() < 0.7 else rng.randint(1, 2)) if quiz.pass_mark > 0 else 0
                final = completed_at - timedelta(minutes=rng.randint(8, quiz.time_limit or 30))
                earlier = sorted(self.moment(enrolled_at + timedelta(hours=1), final - timedelta(hours=1))
                                 for _ in range(failures))
                for number, started in enumerate(earlier, start=1):
                    self.attempt(quiz, learner, language, number, started, learner.ability, passing=False)
                self.attempt(quiz, learner, language, failures + 1, final, learner.ability + 0.8, passing=True,
                             submitted=completed_at)
                tally["attempts"] += failures + 1
            elif (quiz.pass_mark > 0 and done * 2 >= len(course.lessons) and rng.random() < 0.2
                  and enrolled_at + timedelta(hours=2) < self.end - timedelta(hours=1)):
                started = self.moment(enrolled_at + timedelta(hours=2), self.end - timedelta(hours=1))
                self.attempt(quiz, learner, language, 1, started, learner.ability - 0.5, passing=False)
                tally["attempts"] += 1
        tally["attempts"] += len(scores)
        return scores

    def attempt(self, quiz: _Quiz, learner: _Learner, language: str, number: int, started: datetime, skill: float,
                passing: bool | None = None, submitted: datetime | None = None) -> float:
        """A graded attempt with its questions drawn as quizzes.attempts does; returns its score."""
        rng = self.rng
        chosen = list(quiz.fixed)
        for (pool, count), picks in zip(quiz.draws, quiz.picks):
            if picks:
                chosen.extend(picks[int(rng.random() * len(picks))])
            else:
                candidates = [question for question in pool if question not in chosen] if quiz.overlapping else pool
                chosen.extend(rng.sample(candidates, min(count, len(candidates))))
        if quiz.shuffle_questions:
            chosen.sort(key=lambda _: rng.random())
        layout = []
        for question in chosen:
            options, shuffles, orders, _ = self.questions[question]
            if quiz.shuffle_options and shuffles:
                order = orders[int(rng.random() * len(orders))] if orders else rng.sample(options, len(options))
            else:
                order = options
            layout.append({"question_id": question, "order": order})
        marks = [self.questions[question][3] for question in chosen]
        total = sum(marks) or 1.0
        # Each answer is right with a chance that grows with the skill, kept on the side of the
        # pass mark where the attempt has to end.
        chance, bar = 1 / (1 + math.exp(-skill)), quiz.pass_mark / 100
        if passing is not None:
            chance = max(chance, min(0.97, bar + 0.12)) if passing else min(chance, max(0.03, bar - 0.2))
        for _ in range(20):
            score = round(100 * sum(mark for mark in marks if rng.random() < chance) / total, 2)
            if passing is None or (score >= quiz.pass_mark) == passing:
                break
        else:
            score = 100.0 if passing else 0.0
        minutes = rng.randint(4, max(5, quiz.time_limit or 25))
        submitted = submitted or started + timedelta(minutes=minutes)
        self.sink.add(Attempt.__table__, {
            "quiz_id": quiz.id, "user_id": learner.id, "number": number,
            "state": AttemptState.GRADED, "started_at": started, "submitted_at": submitted,
            "deadline_at": started + timedelta(minutes=quiz.time_limit) if quiz.time_limit else None,
            "layout": layout, "language": language, "score": score, "passed": score >= quiz.pass_mark,
        })
        return score

    def certificate(self, learner: _Learner, course: _Course, language: str, completed_at: datetime) -> None:
        """A completion certificate with the snapshot and signed credential issuing would store."""
        settings, code = self.settings, self.code()
        row = {
            "id": self.certificate_ids.next(), "code": code, "user_id": learner.id, "course_id": course.id,
            "kind": CertificateKind.COMPLETION, "member_id": None, "cohort_name": "", "language": language,
            "design": settings.design, "holder_name": learner.name, "holder_name_ar": learner.name_ar,
            "course_titles": course.titles, "hours": course.hours,
            "completed_on": completed_at.astimezone(self.zone).date(), "issuer_names": dict(settings.names),
            "signatory_name": settings.signatory_name, "signatory_titles": dict(settings.signatory_titles),
            "issued_at": completed_at, "issued_by_id": None, "issue_reason": "", "replaces_id": None,
            "revoked_at": None, "revoked_by_id": None, "revocation_reason": "",
        }
        snapshot = _CertificateSnapshot(**row)
        claims = build_credential(snapshot, learner.email, course.slug)
        # keys.sign_claims with the active key read once, not once per certificate.
        row["credential_jwt"] = jwt.encode(claims, self.signing_key.private_key, algorithm="EdDSA",
                                           headers={"kid": f"{claims['iss']}#{self.signing_key.kid}", "typ": "JWT"})
        self.sink.add(Certificate.__table__, row)

    def code(self) -> str:
        """Like certificates.codes.new_code, from the seeded generator; unique."""
        while True:
            value = self.rng.getrandbits(5 * LENGTH)
            code = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(LENGTH))
            if code not in self.codes:
                self.codes.add(code)
                return code

    # Workshops ---------------------------------------------------------------------------------

    def seed_cohorts(self, courses: list[_Course], learners: int) -> None:
        ids = {table: _Ids(table, self.sink)
               for table in (Cohort.__table__, CohortMember.__table__, CohortSession.__table__)}
        rng, tally = self.rng, dict.fromkeys(["cohorts", "cohort_members", "paper_participants", "sessions",
                                              "attendance"], 0)
        plans = [(year, region, course) for year in range(YEARS) for region in self.regions for course in courses]
        rng.shuffle(plans)
        # A first cohort in every region, then a second round, and so on, until there are enough.
        rounds, seen = [], {}
        for _, region, _ in plans:
            seen[region] = seen.get(region, 0) + 1
            rounds.append(seen[region])
        plans = [plan for _, plan in sorted(zip(rounds, plans), key=lambda item: item[0])]
        for year, region, course in plans[:max(len(self.regions), min(len(plans), learners // 500))]:
            self.cohort(ids, year, region, course, tally)
        for what, count in tally.items():
            self.done(what, count)

    def cohort(self, ids: dict, year: int, region: Region, course: _Course, tally: dict) -> None:
        rng = self.rng
        # The last year's latest cohorts still have sessions to come.
        first_day = (self.start + timedelta(days=365 * year + rng.randint(0, 350))).date()
        sessions = rng.randint(3, 6)
        days = [first_day + timedelta(days=7 * index + rng.randint(0, 2)) for index in range(sessions)]
        city = self.city(region)
        trainers = rng.sample(self.trainers[region], min(len(self.trainers[region]), rng.choice([1, 1, 2])))
        cohort_id = ids[Cohort.__table__].next()
        opened = datetime.combine(first_day - timedelta(days=rng.randint(20, 40)), datetime.min.time(), UTC)
        self.sink.add(Cohort.__table__, {
            "id": cohort_id, "course_id": course.id, "name": f"Atelier {city} {first_day:%m/%Y}",
            "starts_on": first_day, "ends_on": days[-1], "capacity": 30, "join_key": None,
            "invite_token": secrets.token_urlsafe(18), "created_by_id": trainers[0],
            "created_at": opened + timedelta(hours=rng.randint(8, 17)),
        })
        for trainer in trainers:
            self.sink.add(cohort_trainers, {"cohort_id": cohort_id, "user_id": trainer})
        partner = rng.choice(self.organizations[region])
        self.sink.add(cohort_partners, {"cohort_id": cohort_id, "organization_id": partner["id"]})
        tally["cohorts"] += 1

        starts = [from_local(datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.choice([9, 10, 14])))
                  for day in days]
        members = self.members(ids, cohort_id, course, region, city, starts[0], trainers[0], tally)
        online = rng.random() < 0.2
        for number, start in enumerate(starts, start=1):
            session_id = ids[CohortSession.__table__].next()
            minutes = rng.choice([90, 120, 120, 180])
            self.sink.add(CohortSession.__table__, {
                "id": session_id, "cohort_id": cohort_id, "title": f"Séance {number}", "starts_at": start,
                "duration_minutes": minutes, "mode": SessionMode.ONLINE if online else SessionMode.IN_PERSON,
                "place": "" if online else f"{partner['name']}, {city}",
                "reminded_at": start - timedelta(days=1) if start - timedelta(days=1) < self.end else None,
            })
            tally["sessions"] += 1
            if start + timedelta(minutes=minutes) > self.end:
                continue  # not held yet
            recorded = start + timedelta(minutes=minutes + rng.randint(0, 90))
            for member_id, absence in members:
                status = rng.choices(ATTENDANCE, [0.8 - absence, 0.08, absence, 0.04 + absence / 4])[0]
                self.sink.add(Attendance.__table__, {"session_id": session_id, "member_id": member_id,
                                                     "status": status, "recorded_at": recorded,
                                                     "recorded_by_id": trainers[0]})
                tally["attendance"] += 1

    def members(self, ids: dict, cohort_id: int, course: _Course, region: Region, city: str, first: datetime,
                trainer: int, tally: dict) -> list[tuple[int, float]]:
        """Learners enrolled in the course in the weeks before the cohort, and ~20 % paper sheets."""
        rng = self.rng
        enrolled = self.enrolled.get((course.id, region), [])
        times = [moment for moment, _ in enrolled]
        before = enrolled[:bisect_right(times, first)]
        window = before[bisect_left(times, first - timedelta(days=60)):]
        wanted = rng.randint(12, 24)
        pool = window if len(window) >= wanted else before
        chosen = rng.sample(pool, min(wanted, len(pool)))
        members = []
        for enrolled_at, learner in chosen:
            member_id = ids[CohortMember.__table__].next()
            added = max(enrolled_at, first - timedelta(days=rng.randint(1, 10)))
            self.sink.add(CohortMember.__table__, {
                "id": member_id, "cohort_id": cohort_id, "user_id": learner.id, "full_name": "", "email": None,
                "gender": None, "organization_name": "", "organization_type": None, "city": "",
                "added_at": added, "added_by_id": trainer,
            })
            members.append((member_id, rng.random() * 0.2))
        paper = round(len(chosen) / 4) if chosen else rng.randint(3, 6)
        for _ in range(paper):
            gender = self.gender()
            organization = rng.choice(self.organizations[region]) if rng.random() < 0.7 else None
            member_id = ids[CohortMember.__table__].next()
            self.sink.add(CohortMember.__table__, {
                "id": member_id, "cohort_id": cohort_id, "user_id": None, "full_name": self.person(gender)[0],
                "email": None, "gender": gender,
                "organization_name": organization["name"] if organization else "",
                "organization_type": organization["type"] if organization else rng.choice(list(OrganizationType)),
                "city": city if rng.random() < 0.8 else self.city(region),
                "added_at": first + timedelta(hours=3), "added_by_id": trainer,
            })
            members.append((member_id, rng.random() * 0.2))
        tally["cohort_members"] += len(members)
        tally["paper_participants"] += paper
        return members


class _CertificateSnapshot(SimpleNamespace):
    """What build_credential reads of a certificate, without building an ORM object."""

    holder_name_in = Certificate.holder_name_in
    course_title_in = Certificate.course_title_in
    issuer_name_in = Certificate.issuer_name_in


def synthetic_data_exists() -> bool:
    """Whether any account of the synthetic domain is in the database."""
    return db.session.scalar(sa.select(User.id).where(User.email.like(f"%@{DOMAIN}")).limit(1)) is not None


def _published_courses() -> list[_Course]:
    """Published courses with current lessons, their titles and their quizzes (a few queries)."""
    courses = list(db.session.execute(sa.select(Course.id, Course.slug, Course.estimated_hours)
                                      .where(Course.status == CourseStatus.PUBLISHED).order_by(Course.id)))
    ids = [course.id for course in courses]
    lessons: dict[int, list[int]] = {}
    for course_id, lesson_id in db.session.execute(
            sa.select(Lesson.course_id, Lesson.id).join(Module, Module.id == Lesson.module_id)
            .where(Lesson.course_id.in_(ids), sa.not_(Lesson.is_retired), sa.not_(Module.is_retired))
            .order_by(Lesson.course_id, Module.position, Lesson.position, Lesson.id)):
        lessons.setdefault(course_id, []).append(lesson_id)
    titles: dict[int, dict] = {}
    for course_id, language, title in db.session.execute(
            sa.select(CourseTranslation.course_id, CourseTranslation.language, CourseTranslation.title)
            .where(CourseTranslation.course_id.in_(ids)).order_by(CourseTranslation.language)):
        titles.setdefault(course_id, {})[language] = title
    quizzes = _quizzes(ids)
    return [_Course(course.id, course.slug, course.estimated_hours, titles.get(course.id, {}), lessons[course.id],
                    quizzes.get(course.id, {}))
            for course in courses if lessons.get(course.id)]


def _quizzes(course_ids: list[int]) -> dict[int, dict[QuizKind, list[_Quiz]]]:
    """The current pre-tests, post-tests and graded quizzes of each course, with what they draw."""
    by_id: dict[int, _Quiz] = {}
    result: dict[int, dict[QuizKind, list[_Quiz]]] = {}
    for quiz in db.session.scalars(sa.select(Quiz).where(
            Quiz.course_id.in_(course_ids), sa.not_(Quiz.is_retired),
            Quiz.kind.in_([QuizKind.PRE_TEST, QuizKind.POST_TEST, QuizKind.GRADED])).order_by(Quiz.id)):
        by_id[quiz.id] = _Quiz(quiz.id, quiz.kind, quiz.pass_mark, quiz.attempts_allowed, quiz.time_limit_minutes,
                               quiz.shuffle_questions, quiz.shuffle_options)
        result.setdefault(quiz.course_id, {}).setdefault(quiz.kind, []).append(by_id[quiz.id])
    current = sa.not_(Question.is_retired)
    for quiz_id, question_id in db.session.execute(
            sa.select(QuizQuestion.quiz_id, QuizQuestion.question_id)
            .join(Question, Question.id == QuizQuestion.question_id)
            .where(QuizQuestion.quiz_id.in_(by_id), current).order_by(QuizQuestion.quiz_id, QuizQuestion.position)):
        by_id[quiz_id].fixed.append(question_id)
    pools: dict[int, list[int]] = {}
    for category_id, question_id in db.session.execute(
            sa.select(Question.category_id, Question.id).where(Question.course_id.in_(course_ids), current)
            .order_by(Question.id)):
        pools.setdefault(category_id, []).append(question_id)
    for draw in db.session.scalars(sa.select(QuizDraw).where(QuizDraw.quiz_id.in_(by_id)).order_by(QuizDraw.id)):
        by_id[draw.quiz_id].draws.append((pools.get(draw.category_id, []), draw.count))
    for quiz in by_id.values():
        drawn = [question for pool, _ in quiz.draws for question in pool]
        quiz.overlapping = bool(quiz.fixed) or len(drawn) != len(set(drawn))
        quiz.picks = [list(combinations(pool, min(count, len(pool))))
                      if not quiz.overlapping and math.comb(len(pool), min(count, len(pool))) <= 5000 else []
                      for pool, count in quiz.draws]
    # A quiz nobody can draw a question from is never attempted.
    for kinds in result.values():
        for kind, quizzes in kinds.items():
            kinds[kind] = [quiz for quiz in quizzes if quiz.fixed or any(pool for pool, _ in quiz.draws)]
    return result


def _questions(course_ids: list[int]) -> dict[int, tuple[list[str], bool, list[tuple], float]]:
    """Each current question's option ids, whether attempts shuffle them (and their orders), and its mark."""
    questions = {}
    for question in db.session.scalars(sa.select(Question).where(Question.course_id.in_(course_ids),
                                                                 sa.not_(Question.is_retired))):
        kind = TYPES[question.type]
        options = kind.option_ids(question.config)
        # Every order of up to six options, listed once: drawing one is a uniform shuffle.
        orders = list(permutations(options)) if kind.shuffles_options and len(options) <= 6 else []
        questions[question.id] = (options, kind.shuffles_options, orders, question.mark)
    return questions


def seed_synthetic(learners: int, seed: int = 1, *, until: date | None = None, password: str | None = None,
                   echo=print) -> dict[str, int]:
    """Add ``learners`` synthetic learners and everything around them; return the counts made.

    The history covers the three years before ``until`` (today by default) and uses the published
    courses, loading the demo courses and their question banks first when there are none.
    Raises SyntheticDataExists when synthetic accounts are already there.
    """
    if learners < 1:
        raise ValueError("learners must be at least 1")
    if synthetic_data_exists():
        raise SyntheticDataExists(f"The database already holds synthetic accounts (@{DOMAIN}).")
    if password is not None:
        check_password_rules(password)
    courses = _published_courses()
    if not courses:
        import_courses()
        import_banks()
        courses = _published_courses()
        echo(f"Loaded the demo courses: {', '.join(course.slug for course in courses)}.")
    until = until or datetime.now(UTC).date()
    end = datetime.combine(until, datetime.min.time(), UTC)
    seeder = _Seeder(random.Random(seed), end, hash_password(password) if password else None,
                     _questions([course.id for course in courses]), echo)
    try:
        seeder.seed_organizations()
        seeder.seed_people(learners)
        seeder.seed_learning(courses)
        seeder.seed_cohorts(courses, learners)
        seeder.sink.flush()
        seeder.sink.wait()
    finally:
        seeder.sink.close()
    seeder.counts["report_facts"] = rebuild()  # written in bulk, around the session's bookkeeping
    return seeder.counts
