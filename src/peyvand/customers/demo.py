"""Realistic Persian demo data at any scale: staff and teams, then customers written with set-based inserts."""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from peyvand.accounts.models import Role, Team, User
from peyvand.accounts.services import team_create, user_create
from peyvand.core.national_id import generate_legal_id, generate_national_code
from peyvand.core.text import clean_text, sort_key_of_search_key, to_persian_digits
from peyvand.customers import search_index
from peyvand.customers.models import Consent, Customer, CustomerAddress, CustomerEmail, CustomerPhone, Interaction, Tag
from peyvand.customers.services import display_name_for, search_key_for

# --- vocabulary (Persian: Latin for e-mail addresses) ---------------------------------------------------


def _pairs(text: str, sep: str = " ") -> list[tuple[str, str]]:
    # clean_text makes sure no Arabic ي/ك or stray spacing reaches the database through this module.
    return [(clean_text(fa), en) for fa, en in (item.split(":") for item in text.split(sep) if item)]


def _words(text: str) -> list[str]:
    return [clean_text(item) for item in text.split("|")]


MALE = _pairs(
    "علی:ali محمد:mohammad حسین:hossein رضا:reza مهدی:mahdi امیر:amir حسن:hasan ابوالفضل:abolfazl "
    "محمدرضا:mohammadreza امیرحسین:amirhossein عبدالله:abdollah محمدعلی:mohammadali علیرضا:alireza "
    "سعید:saeed مجید:majid حمید:hamid مصطفی:mostafa جواد:javad احمد:ahmad کاظم:kazem بهروز:behrouz "
    "فرهاد:farhad کامران:kamran داریوش:dariush آرش:arash بابک:babak پویا:pouya سینا:sina میلاد:milad "
    "مرتضی:morteza یوسف:yousef ایمان:iman هادی:hadi کیوان:keyvan پیمان:peyman امید:omid نیما:nima "
    "شهرام:shahram سیاوش:siavash بهنام:behnam محسن:mohsen عباس:abbas اکبر:akbar قاسم:ghasem یاسین:yasin "
    "ماهان:mahan آرمان:arman رامین:ramin کوروش:kourosh حمیدرضا:hamidreza امیرعلی:amirali ابراهیم:ebrahim "
    "اسماعیل:esmaeil عبدالرضا:abdolreza سجاد:sajjad وحید:vahid مسعود:masoud کریم:karim علی‌اکبر:aliakbar "
    "محمدحسین:mohammadhossein"
)
FEMALE = _pairs(
    "زهرا:zahra فاطمه:fatemeh مریم:maryam سارا:sara نرگس:narges معصومه:masoumeh زینب:zeinab مهسا:mahsa "
    "الهام:elham نگار:negar لیلا:leila سمیرا:samira شیوا:shiva پریسا:parisa نازنین:nazanin فرشته:fereshteh "
    "مینا:mina آزاده:azadeh سپیده:sepideh هانیه:hanieh ریحانه:reyhaneh کوثر:kowsar یاسمن:yasaman "
    "ستاره:setareh محدثه:mohaddeseh فائزه:faezeh نیلوفر:niloufar شیرین:shirin پروانه:parvaneh "
    "طاهره:tahereh اعظم:azam منیژه:manijeh گلاره:golareh رویا:roya بهاره:bahareh ترانه:taraneh آیدا:aida "
    "هستی:hasti فاطمه‌زهرا:fatemezahra ملیکا:melika حدیث:hadis کیمیا:kimia عاطفه:atefeh صدیقه:sedigheh "
    "اکرم:akram مهناز:mahnaz شهلا:shahla"
)
LAST = _pairs(
    "محمدی:mohammadi حسینی:hosseini احمدی:ahmadi رضایی:rezaei کریمی:karimi موسوی:mousavi جعفری:jafari "
    "صادقی:sadeghi رحیمی:rahimi نوری:nouri کاظمی:kazemi هاشمی:hashemi قاسمی:ghasemi مرادی:moradi "
    "ابراهیمی:ebrahimi حیدری:heydari اکبری:akbari عباسی:abbasi سلیمانی:soleimani شریفی:sharifi "
    "نجفی:najafi یزدانی:yazdani طاهری:taheri کرمانی:kermani تهرانی:tehrani اصفهانی:esfahani "
    "شیرازی:shirazi تبریزی:tabrizi رستمی:rostami فرهادی:farhadi زمانی:zamani بهرامی:bahrami "
    "سبحانی:sobhani امینی:amini پورمحمدی:pourmohammadi خسروی:khosravi قربانی:ghorbani میرزایی:mirzaei "
    "نظری:nazari یوسفی:yousefi باقری:bagheri منصوری:mansouri اسدی:asadi فتحی:fathi مختاری:mokhtari "
    "جلالی:jalali افشار:afshar توکلی:tavakoli دهقان:dehghan کیانی:kiani عسگری:asgari ملکی:maleki "
    "صفری:safari شجاعی:shojaei وحیدی:vahidi نادری:naderi کامرانی:kamrani سعیدی:saeedi آقایی:aghaei "
    "آزادی:azadi حسین‌زاده:hosseinzadeh علی‌پور:alipour قلی‌زاده:gholizadeh عبدالله‌زاده:abdollahzadeh "
    "محمدی‌نژاد:mohammadinejad رضایی‌فر:rezaeifar نیک‌نام:niknam تقی‌پور:taghipour کریم‌خانی:karimkhani "
    "شاه‌حسینی:shahhosseini"
)
ORG_PREFIX = ["شرکت", "گروه", "هلدینگ", "شرکت تعاونی", "مؤسسه", "صنایع", "بازرگانی", "کارخانجات"]
ORG_CORE = _pairs(
    "پارس:pars آریا:arya سپهر:sepehr البرز:alborz زاگرس:zagros کاوه:kaveh نوین:novin مهر:mehr ایران:iran "
    "کیان:kian دماوند:damavand سپاهان:sepahan رایان:rayan پویا:pouya آسیا:asia نیک:nik آینده‌سازان:ayandesazan "
    "پیشگامان:pishgaman ستاره:setareh تابان:taban آفتاب:aftab کوثر:kowsar بهین:behin امید:omid راهبرد:rahbord"
)
ORG_INDUSTRY = _words(
    "فولاد|پتروشیمی|نرم‌افزار|داروسازی|مواد غذایی|ساختمانی|حمل و نقل|بیمه|الکترونیک|نساجی|کشاورزی|لبنیات|"
    "قطعات خودرو|تجهیزات پزشکی|فناوری اطلاعات|بسته‌بندی|لوازم خانگی|مهندسی|چاپ و نشر|سیمان"
)
ORG_TAIL = ["", "", "", "نوین", "شرق", "غرب", "جنوب", "(سهامی خاص)", "(سهامی عام)", "(مسئولیت محدود)"]
JOB_TITLES = _words(
    "مدیرعامل|مدیر فروش|کارشناس خرید|مدیر مالی|حسابدار|مدیر فناوری اطلاعات|کارشناس فروش|مدیر بازرگانی|"
    "معاون اداری|مسئول دفتر|مدیر تولید|کارشناس منابع انسانی|مدیر تدارکات|کارشناس بازاریابی"
)
# (province, city, landline area code, weight ~ population)
PLACES = [
    (province, city, area, int(weight))
    for province, city, area, weight in (
        place.split(":")
        for place in _words(
            "تهران:تهران:21:30|اصفهان:اصفهان:31:9|خراسان رضوی:مشهد:51:9|فارس:شیراز:71:6|"
            "آذربایجان شرقی:تبریز:41:6|البرز:کرج:26:6|خوزستان:اهواز:61:5|قم:قم:25:4|کرمانشاه:کرمانشاه:83:3|"
            "گیلان:رشت:13:3|آذربایجان غربی:ارومیه:44:3|مازندران:ساری:11:2|کرمان:کرمان:34:2|یزد:یزد:35:2|"
            "همدان:همدان:81:2|گلستان:گرگان:17:2|هرمزگان:بندرعباس:76:2"
        )
    )
]
STREETS = _words(
    "ولیعصر|انقلاب|آزادی|امام خمینی|شریعتی|فردوسی|حافظ|سعدی|بهار|نیایش|کارگر|جمهوری|مطهری|طالقانی|"
    "چهارباغ|پاسداران|ملاصدرا|وکیل‌آباد|زند|ارم|گلستان|بهشتی"
)
TAGS = _words(
    "مشتری وفادار|عمده‌فروش|خرده‌فروش|نمایشگاه ۱۴۰۲|نیازمند پیگیری|بدحساب|همکار تجاری|باشگاه مشتریان|VIP|"
    "ارجاعی|صادرات|دولتی"
)
SUBJECTS: dict[tuple[str, str], list[str]] = {
    ("call", "in"): _words(
        "استعلام قیمت|پیگیری سفارش|شکایت از تأخیر ارسال|درخواست پشتیبانی فنی|سؤال درباره فاکتور|درخواست نمایندگی"
    ),
    ("call", "out"): _words(
        "پیگیری پیش‌فاکتور|تماس خوشامدگویی|یادآوری تمدید قرارداد|نظرسنجی رضایت|هماهنگی ارسال کالا|پیگیری مطالبات"
    ),
    ("sms", "out"): _words("ارسال کد تخفیف|یادآوری قرار ملاقات|تبریک تولد|اطلاع‌رسانی جشنواره فروش|تأیید سفارش"),
    ("sms", "in"): _words("پاسخ به پیامک نظرسنجی|درخواست تماس"),
    ("email", "out"): _words("ارسال پیش‌فاکتور|ارسال کاتالوگ محصولات|خبرنامه ماهانه|ارسال قرارداد"),
    ("email", "in"): _words("درخواست اطلاعات بیشتر|ارسال مدارک|درخواست همکاری"),
    ("meeting", "out"): _words("جلسه معرفی محصول|بازدید از کارخانه|جلسه مذاکره قرارداد|جلسه بررسی رضایت"),
}
INTERACTION_KINDS = list(SUBJECTS)
INTERACTION_KIND_WEIGHTS = [30, 22, 20, 5, 12, 5, 6]
INTERACTIONS_PER_CUSTOMER = [8, 14, 20, 20, 15, 10, 8, 5]  # weights of 0..7; mean ≈ 3
MOBILE_PREFIXES = _words(
    "912|935|936|937|938|939|901|902|903|905|910|911|913|914|915|916|917|918|919|920|921|922|930|933|934|990|991|992|993|994"
)
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "chmail.ir", "outlook.com", "mail.ir"]
PASSWORDS = {
    "admin": "peyvand-admin",
    "manager": "peyvand-manager",
    "agent": "peyvand-agent",
    "agent2": "peyvand-agent",
    "supervisor": "peyvand-manager",
    "support": "peyvand-agent",
    "support2": "peyvand-agent",
}

# Phone numbers are a bijection of the phone row's id, so they are unique across runs without a look-up.
_MOBILE_SPAN, _LANDLINE_SPAN, _SCRAMBLE = 10**7, 7 * 10**7, 7_919_731  # _SCRAMBLE is coprime to both spans


def mobile_number(serial: int) -> str:
    prefix = MOBILE_PREFIXES[serial % len(MOBILE_PREFIXES)]
    return f"+98{prefix}{(serial // len(MOBILE_PREFIXES) * _SCRAMBLE + 1_234_567) % _MOBILE_SPAN:07d}"


def landline_number(serial: int, area: str) -> str:
    return f"+98{area}{20_000_000 + (serial * _SCRAMBLE + 4_321) % _LANDLINE_SPAN}"


class _Weighted:
    """random.choices without rebuilding the cumulative weights on every call."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items, self.cum = list(items), list(accumulate(weights))

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


# --- staff --------------------------------------------------------------------------------------------


@dataclass
class DemoStaff:
    teams: dict[str, Team]
    users: dict[str, User]


def _team(name: str, parent: Team | None) -> Team:
    existing = Team.objects.filter(name=name, parent=parent).first()
    return existing or team_create(name=name, parent=parent)


def ensure_staff() -> DemoStaff:
    """The demo teams and log-ins, created once; existing ones (and their passwords) are left alone."""
    sales = _team("فروش", None)
    teams = {
        "sales": sales,
        "tehran": _team("فروش تهران", sales),
        "isfahan": _team("فروش اصفهان", sales),
        "support": _team("پشتیبانی", None),
        "key": _team("مشتریان کلیدی", None),
    }
    specs = {
        "admin": (Role.ADMIN, None, "مدیر", "سامانه"),
        "manager": (Role.MANAGER, teams["sales"], "مریم", "احمدی"),
        "agent": (Role.AGENT, teams["tehran"], "علی", "رضایی"),
        "agent2": (Role.AGENT, teams["isfahan"], "سارا", "کریمی"),
        # The service desk: a supervisor and two agents of the support team.
        "supervisor": (Role.MANAGER, teams["support"], "زهرا", "صادقی"),
        "support": (Role.AGENT, teams["support"], "نرگس", "موسوی"),
        "support2": (Role.AGENT, teams["support"], "رضا", "نوری"),
    }
    hashes: dict[str, str] = {}  # Argon2 is slow on purpose: hash each distinct password once
    users = {}
    for username, (role, team, first, last) in specs.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            email = f"{username}@peyvand.local"
            user = user_create(
                username=username, password=None, role=role, team=team, first_name=first, last_name=last, email=email
            )
            password = PASSWORDS[username]
            user.password = hashes.get(password) or hashes.setdefault(password, make_password(password))
            user.save(update_fields=["password"])
        users[username] = user
    return DemoStaff(teams, users)


# --- customers ----------------------------------------------------------------------------------------


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


_STAMPED = "id created_at updated_at customer_id "
CUSTOMERS, PHONES, EMAILS, ADDRESSES, CONSENTS, TAGGINGS, INTERACTIONS = (
    m._meta.db_table
    for m in (Customer, CustomerPhone, CustomerEmail, CustomerAddress, Consent, Customer.tags.through, Interaction)
)
TABLES: dict[str, tuple[str, ...]] = {
    CUSTOMERS: _columns(
        "id created_at updated_at kind first_name last_name name display_name search_key sort_key gender birth_date "
        "income_bracket national_id parent_id organization_id job_title lifecycle_stage source owner_id team_id "
        "preferred_channel settlement_habit tier notes custom_fields last_interaction_at deleted_at"
    ),
    PHONES: _columns(_STAMPED + "number kind is_primary"),
    EMAILS: _columns(_STAMPED + "email kind is_primary"),
    ADDRESSES: _columns(_STAMPED + "kind province city line postal_code is_primary"),
    CONSENTS: _columns(_STAMPED + "channel granted recorded_at method note recorded_by_id"),
    TAGGINGS: _columns("id customer_id tag_id"),
    INTERACTIONS: _columns(
        _STAMPED + "channel direction subject body occurred_at duration_seconds by_id related_type_id related_id"
    ),
}
CONSENT_METHODS = ["written", "verbal", "web_form", "import"]
SETTLEMENT = ["cash", "credit", "mixed"]
MODELS = [Customer, CustomerPhone, CustomerEmail, CustomerAddress, Consent, Interaction]
Batch = dict[str, list[tuple[Any, ...]]]


@dataclass
class Generator:
    """Builds batches of rows; pure Python, no database access, deterministic for a given seed."""

    rng: random.Random
    staff: DemoStaff
    tag_ids: list[int]
    next_ids: dict[str, int]
    now: int
    tz_suffix: str  # "" for SQLite (naive UTC text, as Django writes it), "+00" for PostgreSQL
    orgs: list[tuple[int, str, bool]] = field(default_factory=list)  # (id, name, is top level)
    _keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    _days: dict[int, str] = field(default_factory=dict)
    _codes: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        u, t = self.staff.users, self.staff.teams
        self.places = _Weighted(PLACES, [p[3] for p in PLACES])
        self.stage = _Weighted(["prospect", "active", "key_account", "inactive", "lost"], [35, 38, 3, 16, 8])
        self.source = _Weighted(
            ["website", "referral", "exhibition", "call", "social", "advertising", "walk_in", "import", "other", ""],
            [18, 16, 6, 14, 16, 8, 8, 6, 3, 5],
        )
        self.income = _Weighted(["", "low", "lower_middle", "middle", "upper_middle", "high"], [40, 10, 15, 20, 10, 5])
        self.channel = _Weighted(["", "sms", "call", "email", "messenger", "in_person"], [30, 30, 20, 8, 10, 2])
        self.n_interactions = _Weighted(range(len(INTERACTIONS_PER_CUSTOMER)), INTERACTIONS_PER_CUSTOMER)
        self.interaction_kind = _Weighted(INTERACTION_KINDS, INTERACTION_KIND_WEIGHTS)
        # (team, owners with weights): agents own part of their team's book, the manager some of each.
        none = None
        self.assign = _Weighted(
            [
                (t["tehran"], _Weighted([u["agent"], u["manager"], none], [60, 10, 30])),
                (t["isfahan"], _Weighted([u["agent2"], u["manager"], none], [60, 10, 30])),
                (t["sales"], _Weighted([u["manager"], none], [70, 30])),
                (t["support"], _Weighted([u["admin"], none], [30, 70])),
                (t["key"], _Weighted([u["manager"], u["admin"]], [60, 40])),
                (None, _Weighted([u["admin"], none], [50, 50])),
            ],
            [45, 25, 7, 10, 8, 5],
        )

    def _id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def ts(self, t: int) -> str:
        day = self._days.get(t // 86400)
        if day is None:
            day = self._days[t // 86400] = datetime.fromtimestamp(t - t % 86400, UTC).strftime("%Y-%m-%d")
        s = t % 86400
        return f"{day} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{self.tz_suffix}"

    def keys(self, display_name: str) -> tuple[str, str]:
        """The search and sort keys of a name, as the services compute them (names repeat: cached)."""
        cached = self._keys.get(display_name)
        if cached is None:
            key = search_key_for(display_name)
            cached = self._keys[display_name] = (key, sort_key_of_search_key(key))
        return cached

    def unique_code(self, make: Callable[[random.Random], str]) -> str:
        while True:
            code = make(self.rng)
            if code not in self._codes:
                self._codes.add(code)
                return code

    def batch(self, size: int) -> Batch:
        rows: Batch = {table: [] for table in TABLES}
        for _ in range(size):
            self.customer(rows)
        return rows

    def add(self, rows: Batch, table: str, cid: int, stamp: str, *values: Any) -> int:
        """Append a row of a table with the usual leading columns (id, created_at, updated_at, customer_id)."""
        pk = self._id(table)
        rows[table].append((pk, stamp, stamp, cid, *values))
        return pk

    def customer(self, rows: Batch) -> None:
        rng, teams = self.rng, self.staff.teams
        cid = self._id(CUSTOMERS)
        created = self.now - rng.randrange(3 * 365 * 86400)
        team, owners = self.assign(rng)
        owner = owners(rng)
        owner_id = owner.pk if owner else None
        province, city, area, _weight = self.places(rng)
        is_org = rng.random() < 0.05
        first = last = name = gender = job = email = ""
        birth = parent_id = org_id = None
        if is_org:
            core, core_en = rng.choice(ORG_CORE)
            top = [o for o in self.orgs[-200:] if o[2]]
            if top and rng.random() < 0.2:  # a branch of a recent organisation
                parent_id, parent_name, _top = rng.choice(top)
                name = f"{parent_name} - شعبه {city}"
            else:
                parts = (rng.choice(ORG_PREFIX), core, rng.choice(ORG_INDUSTRY), rng.choice(ORG_TAIL))
                name = " ".join(p for p in parts if p)
            self.orgs.append((cid, name, parent_id is None))
            national_id = self.unique_code(generate_legal_id)
            email = f"info@{core_en}{cid}.ir" if rng.random() < 0.7 else ""
            stage = "key_account" if team is teams["key"] else self.stage(rng)
        else:
            male = rng.random() < 0.52
            (first, first_en), gender = rng.choice(MALE if male else FEMALE), "male" if male else "female"
            last, last_en = rng.choice(LAST)
            if rng.random() < 0.85:
                birth = (date(1945, 1, 1) + timedelta(days=rng.randrange(60 * 365))).isoformat()
            national_id = self.unique_code(generate_national_code) if rng.random() < 0.8 else ""
            if rng.random() < 0.35:
                email = f"{first_en}.{last_en}{cid}@{rng.choice(EMAIL_DOMAINS)}"
            if self.orgs and rng.random() < 0.2:
                org_id = rng.choice(self.orgs[-500:])[0]
                job = rng.choice(JOB_TITLES)
            stage = "key_account" if team is teams["key"] and rng.random() < 0.5 else self.stage(rng)
        kind = "organization" if is_org else "person"
        display = display_name_for(kind=kind, first_name=first, last_name=last, name=name)
        stamp = self.ts(created)

        has_main_phone = is_org or rng.random() < 0.97
        if has_main_phone:
            pid = self._id(PHONES)
            number = landline_number(pid, area) if is_org else mobile_number(pid)
            rows[PHONES].append((pid, stamp, stamp, cid, number, "work" if is_org else "mobile", True))
        if rng.random() < (0.5 if is_org else 0.12):
            pid = self._id(PHONES)
            second = (pid, stamp, stamp, cid, landline_number(pid, area), "fax" if is_org else "home")
            rows[PHONES].append((*second, not has_main_phone))
        if email:
            self.add(rows, EMAILS, cid, stamp, email, "work" if is_org else "personal", True)
        if rng.random() < 0.9:
            plaque = to_persian_digits(rng.randrange(1, 250))
            line = f"خیابان {rng.choice(STREETS)}، کوچه {rng.choice(STREETS)}، پلاک {plaque}"
            postal = str(rng.randrange(1_000_000_000, 9_999_999_999))
            self.add(rows, ADDRESSES, cid, stamp, "work" if is_org else "home", province, city, line, postal, True)
        for channel, share in (("sms", 0.6), ("email", 0.3 if email else 0.0), ("call", 0.15)):
            if rng.random() < share:
                method = rng.choice(CONSENT_METHODS)
                self.add(rows, CONSENTS, cid, stamp, channel, rng.random() < 0.85, stamp, method, "", owner_id)
        if self.tag_ids and rng.random() < 0.4:
            for tag_id in rng.sample(self.tag_ids, rng.choice((1, 1, 2))):
                rows[TAGGINGS].append((self._id(TAGGINGS), cid, tag_id))

        last_at = None
        for _ in range(self.n_interactions(rng)):
            channel, direction = kind_ = self.interaction_kind(rng)
            at = created + rng.randrange(max(self.now - created, 1))
            last_at = at if last_at is None or at > last_at else last_at
            duration = rng.randrange(30, 900) if channel == "call" else 3600 if channel == "meeting" else None
            by = owner_id if rng.random() < 0.8 else None
            subject, at_ts = rng.choice(SUBJECTS[kind_]), self.ts(at)
            self.add(rows, INTERACTIONS, cid, at_ts, channel, direction, subject, "", at_ts, duration, by, None, "")
        last_ts = self.ts(last_at) if last_at else None
        income = "" if is_org else self.income(rng)
        settlement, team_id = (rng.choice(SETTLEMENT) if is_org else ""), (team.pk if team else None)
        head = (cid, stamp, last_ts or stamp, kind, first, last, name, display, *self.keys(display), gender, birth)
        tail = (income, national_id, parent_id, org_id, job, stage, self.source(rng), owner_id, team_id)
        rows[CUSTOMERS].append((*head, *tail, self.channel(rng), settlement, "", "", "{}", last_ts, None))


# --- writing ------------------------------------------------------------------------------------------


def _next_ids() -> dict[str, int]:
    with connection.cursor() as cursor:
        out = {}
        for table in TABLES:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - constant names
            out[table] = cursor.fetchone()[0]
        return out


def _write(rows: Batch) -> None:
    """One batch, inside the caller's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Row-by-row FTS trigger costs ~85 µs a customer; one INSERT … SELECT for the batch costs ~5 µs.
            # DDL is transactional in SQLite, so a batch cut short rolls back with the trigger still in place.
            cursor.execute(f"DROP TRIGGER IF EXISTS {search_index.FTS_TABLE}_ai")
        for table, table_rows in rows.items():
            columns = ", ".join(TABLES[table])
            if not table_rows:
                continue
            if connection.vendor == "postgresql":
                # COPY is several times faster than INSERT; the rows are already in PostgreSQL's text forms.
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(TABLES[table]))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", table_rows)  # noqa: S608
        if connection.vendor == "sqlite":
            first, last = rows[CUSTOMERS][0][0], rows[CUSTOMERS][-1][0]
            cursor.execute(
                f"INSERT INTO {search_index.FTS_TABLE}(rowid, search_key) "  # noqa: S608 - constant names
                f"SELECT id, search_key FROM {CUSTOMERS} WHERE id BETWEEN %s AND %s",
                [first, last],
            )
    if connection.vendor == "sqlite":
        search_index.ensure_search_index(connection)  # puts the trigger back, in the same transaction


def _reset_sequences() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), MODELS):
                cursor.execute(statement)


def _produce(gen: Generator, count: int, size: int, out: queue.Queue[Any], stop: threading.Event) -> None:
    """Generate batches on a second thread: the database works (without the GIL) while Python builds rows."""
    try:
        done = 0
        while done < count and not stop.is_set():
            batch = gen.batch(min(size, count - done))
            done += len(batch[CUSTOMERS])
            while not stop.is_set():
                try:
                    out.put(batch, timeout=0.5)
                    break
                except queue.Full:
                    continue
        out.put(None)
    except BaseException as exc:  # handed to the writing thread, which raises it
        out.put(exc)


# From this many customers on, a load into an empty database drops the secondary indexes and builds them once
# at the end: sorting a million keys once is several times cheaper than keeping a dozen B-trees in order
# row by row (measured: 3.6 s vs 8.2 s of inserts per 60k customers, plus ~4 s of index builds per 160k).
FRESH_LOAD_MIN = 50_000


def _secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE statement) of every index on the demo tables that enforces nothing: not the primary
    keys and not the unique ones, which keep the data right while it loads."""
    tables = list(TABLES)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                f"AND tbl_name IN ({marks}) ORDER BY name",
                tables,
            )
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ANY(%s) ORDER BY indexname",
                [tables],
            )
        return [(name, sql) for name, sql in cursor.fetchall() if not sql.upper().startswith("CREATE UNIQUE")]


def seed_customers(
    *,
    count: int,
    seed: int | None,
    staff: DemoStaff,
    batch_size: int = 20000,
    progress: Callable[[int, float], None] | None = None,
    note: Callable[[str], None] | None = None,
    fresh_load_min: int = FRESH_LOAD_MIN,
) -> float:
    """Insert `count` customers with phones, e-mails, addresses, consent, tags and timelines; returns seconds.

    Adding to existing customers, each batch is one transaction, so an interrupted run leaves whole
    customers only. Loading at least `fresh_load_min` customers into an empty database is one transaction
    that drops the secondary indexes, loads every batch and builds the indexes again: both databases
    change their schema transactionally, so an interrupted load leaves the database as it was, indexes
    included. On PostgreSQL the search indexes are dropped for the load and rebuilt at the end (in
    `finally`, and by every migrate and seed_demo if the process was killed): rebuilding a GIN index once
    is faster than maintaining it. On SQLite each batch fills the FTS index with one statement (see
    _write), so the index is never out of step with the table.
    """
    started = time.monotonic()
    tag_ids = [Tag.objects.get_or_create(name=t)[0].pk for t in TAGS]
    fresh = count >= fresh_load_min and not Customer.objects.exists()
    gen = Generator(
        rng=random.Random(seed),
        staff=staff,
        tag_ids=tag_ids,
        next_ids=_next_ids(),
        now=int(timezone.now().timestamp()),
        tz_suffix="+00" if connection.vendor == "postgresql" else "",
    )
    is_pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if is_pg:
            search_index.drop_search_index(connection)
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '512MB'")
        else:
            cursor.execute("PRAGMA cache_size = -1000000")  # 1 GB of page cache: the indexes stay in memory
    done, batches, stop = 0, queue.Queue[Any](maxsize=3), threading.Event()
    producer = threading.Thread(target=_produce, args=(gen, count, batch_size, batches, stop), daemon=True)
    producer.start()
    try:
        with transaction.atomic() if fresh else contextlib.nullcontext():
            dropped = _secondary_indexes() if fresh else []
            with connection.cursor() as cursor:
                for name, _sql in dropped:
                    cursor.execute(f'DROP INDEX "{name}"')
            while (rows := batches.get()) is not None:
                if isinstance(rows, BaseException):
                    raise rows
                with transaction.atomic():  # a savepoint inside a fresh load's transaction
                    _write(rows)
                _reset_sequences()
                done += len(rows[Customer._meta.db_table])
                if progress:
                    progress(done, time.monotonic() - started)
            if dropped and note:
                note(f"building {len(dropped)} indexes")
            with connection.cursor() as cursor:
                if dropped and is_pg:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # see below: CREATE INDEX needs it
                for _name, sql in dropped:
                    cursor.execute(sql)
    finally:
        stop.set()
        if is_pg:
            with connection.cursor() as cursor:
                # Inside an outer transaction (a test, a caller's atomic block) deferred foreign-key checks
                # are still pending, and PostgreSQL refuses CREATE INDEX until they have run.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                search_index.ensure_search_index(connection)
                cursor.execute("SET synchronous_commit = on")
        with connection.cursor() as cursor:
            if not is_pg:
                cursor.execute("PRAGMA analysis_limit = 1000")  # sampled statistics: seconds, not minutes
            cursor.execute("ANALYZE")
    return time.monotonic() - started
