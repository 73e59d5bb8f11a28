"""Persian demo articles for the knowledge base: response scripts, policies and procedures for staff, and answers
and guides for customers, linked to the demo's ticket categories where their names match."""

# ruff: noqa: E501 - the article texts are paragraphs, and a line break inside one would show on the page.

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from peyvand.accounts.models import Role, User
from peyvand.service.kb_services import article_search_text
from peyvand.service.models import KbArticle, KbAudience, KbCategory, KbStatus, TicketCategory

__all__ = ["seed_kb_demo"]


@dataclass(frozen=True)
class DemoArticle:
    section: str
    title: str
    body: str
    audience: str = KbAudience.STAFF
    language: str = "fa"
    tags: str = ""
    # Words of the ticket category names it answers («نصب» finds «فنی › نصب»).
    categories: tuple[str, ...] = field(default_factory=tuple)
    uses: int = 0
    helpful: tuple[int, int] = (0, 0)


SECTIONS = (
    ("رویه‌های پاسخگویی", "Response procedures"),
    ("سیاست‌ها", "Policies"),
    ("راهنمای مشتریان", "Customer guides"),
    ("پرسش‌های پرتکرار", "FAQ"),
)

ARTICLES = (
    DemoArticle(
        section="رویه‌های پاسخگویی",
        title="پاسخ به مشتری عصبانی",
        tags="ناراضی شکایت عصبانی تند",
        uses=41,
        helpful=(18, 1),
        categories=("شکایت",),
        body="""# پیش از هر چیز گوش کنید
مشتری عصبانی بیش از هر چیز می‌خواهد شنیده شود. حرفش را قطع نکنید و از جمله‌هایی مثل «آرام باشید» پرهیز کنید.

## قدم‌ها
1. نام مشتری را بپرسید و با نام خطابش کنید.
2. مشکل را با کلمات خودتان تکرار کنید: «درست متوجه شدم که سفارش شما دو بار دیر رسیده است؟»
3. **عذرخواهی کنید** بی‌آنکه کسی را مقصر بدانید: «متأسفم که این تجربه را داشتید.»
4. بگویید دقیقاً چه کاری و تا چه زمانی انجام می‌دهید، و فقط قولی بدهید که می‌توانید عمل کنید.
5. شماره تیکت را به مشتری بدهید و زمان تماس بعدی را مشخص کنید.

## جمله‌های پیشنهادی
- «حق دارید ناراحت باشید؛ من شخصاً پیگیری می‌کنم.»
- «تا ساعت ۱۴ امروز با شما تماس می‌گیرم و نتیجه را می‌گویم.»

اگر مشتری توهین کرد، یک بار مؤدبانه تذکر دهید و در صورت تکرار، تماس را به سرپرست منتقل کنید.""",
    ),
    DemoArticle(
        section="سیاست‌ها",
        title="سیاست بازگشت وجه و مرجوعی کالا",
        tags="استرداد بازپرداخت مرجوع پس دادن پول",
        uses=27,
        helpful=(12, 2),
        categories=("مالی", "صورتحساب"),
        body="""# شرایط بازگشت وجه
- کالای سالم و در بسته‌بندی اصلی تا **۷ روز** پس از تحویل پس گرفته می‌شود.
- کالای معیوب تا **۳۰ روز** پس از تحویل، پس از تأیید واحد فنی، تعویض یا وجه آن بازگردانده می‌شود.
- خدمات نصب انجام‌شده قابل بازگشت نیست؛ اما اگر نصب ناقص بوده، رایگان تکمیل می‌شود.

# زمان بازگشت وجه
وجه ظرف ۷۲ ساعت کاری به همان کارتی که با آن پرداخت شده بازگردانده می‌شود. در پرداخت نقدی، شماره شبا از مشتری گرفته شود.

# چه بگوییم
«درخواست بازگشت وجه شما با شماره تیکت ثبت شد. پس از تأیید، مبلغ حداکثر ظرف سه روز کاری به کارت شما واریز می‌شود.»

بازگشت وجه بیش از ۵۰ میلیون ریال به تأیید مدیر مالی نیاز دارد.""",
    ),
    DemoArticle(
        section="رویه‌های پاسخگویی",
        title="رویه ارجاع تیکت به واحد فنی",
        tags="ارجاع انتقال تیم فنی سطح دو",
        uses=15,
        helpful=(6, 0),
        categories=("فنی",),
        body="""# چه زمانی ارجاع دهیم
تیکت را فقط وقتی به واحد فنی ارجاع دهید که مراحل عیب‌یابی اولیه انجام شده و نتیجه نداده باشد.

## پیش از ارجاع
- مدل دستگاه و شماره سریال را در جزئیات تیکت ثبت کنید.
- مراحلی را که مشتری انجام داده در یادداشت داخلی بنویسید.
- اگر مشتری عکس یا فیلم دارد، به تیکت پیوست کنید.

## هنگام ارجاع
دسته تیکت را به «فنی» تغییر دهید و در یادداشت داخلی بنویسید چرا ارجاع می‌دهید. به مشتری بگویید کارشناس فنی ظرف یک روز کاری تماس می‌گیرد.""",
    ),
    DemoArticle(
        section="رویه‌های پاسخگویی",
        title="تماس پیگیری پس از رضایت پایین",
        tags="نظرسنجی رضایت امتیاز پایین پیگیری",
        uses=9,
        helpful=(5, 0),
        body="""# هدف تماس
مشتری در نظرسنجی امتیاز پایین داده است. هدف، فهمیدن علت و جبران است، نه توضیح دادن یا دفاع کردن.

## متن پیشنهادی
«سلام، از پیوند تماس می‌گیرم. نظر شما درباره درخواست اخیرتان به دست ما رسید و برایمان مهم است. ممکن است بگویید کجای کار ایراد داشت؟»

## بعد از تماس
- نتیجه را در کار پیگیری ثبت و آن را انجام‌شده علامت بزنید.
- اگر مشکل هنوز باقی است، تیکت را دوباره باز کنید.""",
    ),
    DemoArticle(
        section="راهنمای مشتریان",
        title="مراحل نصب و راه‌اندازی دستگاه",
        audience=KbAudience.CUSTOMERS,
        tags="نصب راه اندازی مودم روتر دستگاه",
        uses=33,
        helpful=(25, 3),
        categories=("نصب",),
        body="""# پیش از نصب
- دستگاه را در جایی خشک و دور از نور مستقیم خورشید قرار دهید.
- مطمئن شوید پریز برق ارت دارد.

# مراحل نصب
1. کابل برق را وصل و دستگاه را روشن کنید.
2. صبر کنید تا چراغ **Power** ثابت سبز شود (حدود یک دقیقه).
3. کابل شبکه را به درگاه **WAN** وصل کنید.
4. با گوشی یا رایانه به شبکه بی‌سیمی که نامش روی برچسب دستگاه آمده وصل شوید.
5. نشانی 192.168.1.1 را در مرورگر باز کنید و مراحل راه‌اندازی را دنبال کنید.

اگر چراغ‌ها روشن نشد، راهنمای کامل را در [سایت پشتیبانی](https://example.com/support) ببینید یا با ما تماس بگیرید.""",
    ),
    DemoArticle(
        section="پرسش‌های پرتکرار",
        title="وضعیت درخواستم را چطور پیگیری کنم؟",
        audience=KbAudience.CUSTOMERS,
        tags="پیگیری شماره تیکت وضعیت درخواست",
        uses=21,
        helpful=(30, 2),
        body="""با ثبت هر درخواست، یک **شماره پیگیری** مثل T-1405-00042 برای شما پیامک یا ایمیل می‌شود.

- برای پیگیری، به همان پیام پاسخ دهید یا با شماره پشتیبانی تماس بگیرید و شماره پیگیری را بگویید.
- هر تغییر در وضعیت درخواست (ارجاع، پاسخ، حل شدن) به شما اطلاع داده می‌شود.
- اگر پاسخی دریافت کردید که مشکل را حل نکرد، به همان پیام پاسخ دهید تا درخواست دوباره باز شود.""",
    ),
    DemoArticle(
        section="پرسش‌های پرتکرار",
        title="شرایط گارانتی محصولات",
        audience=KbAudience.CUSTOMERS,
        tags="گارانتی ضمانت تعمیر خرابی",
        uses=18,
        helpful=(14, 4),
        categories=("فنی",),
        body="""# مدت گارانتی
همه دستگاه‌ها **۱۸ ماه** گارانتی تعمیر و **۵ سال** خدمات پس از فروش دارند.

# چه چیزهایی شامل گارانتی نمی‌شود
- آسیب فیزیکی، ضربه یا رطوبت
- نوسان برق در صورت نداشتن محافظ
- باز کردن دستگاه توسط افراد متفرقه

برای استفاده از گارانتی، کارت گارانتی یا شماره فاکتور را همراه داشته باشید.""",
    ),
    DemoArticle(
        section="پرسش‌های پرتکرار",
        title="پرداخت آنلاین صورتحساب و دریافت فاکتور رسمی",
        audience=KbAudience.CUSTOMERS,
        tags="پرداخت قبض فاکتور صورتحساب درگاه",
        uses=12,
        helpful=(9, 1),
        categories=("مالی", "صورتحساب"),
        body="""# پرداخت آنلاین
لینک پرداخت هر صورتحساب برایتان پیامک می‌شود. پرداخت با همه کارت‌های عضو شتاب ممکن است.

# فاکتور رسمی
اگر فاکتور رسمی (با کد اقتصادی) می‌خواهید، پیش از پرداخت کد اقتصادی و شناسه ملی شرکت را برای ما بفرستید. فاکتور رسمی پس از صدور قابل تغییر نیست.""",
    ),
    DemoArticle(
        section="پرسش‌های پرتکرار",
        title="How do I track my request?",
        audience=KbAudience.CUSTOMERS,
        language="en",
        tags="track ticket number status",
        uses=4,
        helpful=(3, 0),
        body="""Every request gets a **tracking number** such as T-1405-00042, sent to you by SMS or e-mail.

- Reply to that message, or call support and give the number, to ask about it.
- You are told whenever its status changes.
- If an answer did not solve the problem, reply to it and the request opens again.""",
    ),
)


def _categories_for(words: tuple[str, ...]) -> list[int]:
    if not words:
        return []
    where = Q()
    for word in words:
        where |= Q(name__contains=word)
    return list(TicketCategory.objects.filter(where).values_list("pk", flat=True)[:10])


@transaction.atomic
def seed_kb_demo() -> int:
    """Write the demo sections and articles (published) unless the knowledge base has articles already; how many
    articles were written."""
    if KbArticle.objects.exists():
        return 0
    author = User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER], is_active=True).order_by("role", "id").first()
    sections = {}
    for position, (name, name_en) in enumerate(SECTIONS):
        sections[name], _created = KbCategory.objects.get_or_create(
            name=name, defaults={"name_en": name_en, "position": position}
        )
    now = timezone.now()
    for demo in ARTICLES:
        article = KbArticle.objects.create(
            title=demo.title,
            body=demo.body,
            language=demo.language,
            audience=demo.audience,
            status=KbStatus.PUBLISHED,
            section=sections[demo.section],
            tags=demo.tags,
            search_text=article_search_text(title=demo.title, tags=demo.tags, body=demo.body),
            author=author,
            published_at=now,
            uses=demo.uses,
            views=demo.uses * 3 + sum(demo.helpful),
            helpful_yes=demo.helpful[0],
            helpful_no=demo.helpful[1],
        )
        category_ids = _categories_for(demo.categories)
        if category_ids:
            article.ticket_categories.set(category_ids)
    return len(ARTICLES)
