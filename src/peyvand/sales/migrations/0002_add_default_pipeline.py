"""The default sales pipeline, so that a fresh installation can record deals at once. Stage names are stored in
Persian with their English counterparts; both can be renamed later, the codes stay."""

from django.db import migrations

PIPELINE = ("فروش", "Sales")
# (code, Persian name, English name, probability %, outcome), in board order.
STAGES = [
    ("introduction", "آشنایی و معرفی", "Introduction", 10, "open"),
    ("needs_proposal", "نیازسنجی و پیشنهاد فنی", "Needs and technical proposal", 25, "open"),
    ("negotiation", "پیشنهاد اصلاحی و مذاکره", "Revised proposal and negotiation", 50, "open"),
    ("approval", "تأیید تصمیم‌گیرنده", "Decision-maker approval", 75, "open"),
    ("contract", "امضای قرارداد", "Contract signed", 90, "open"),
    ("won", "موفق", "Won", 100, "won"),
    ("lost", "ناموفق", "Lost", 0, "lost"),
]


def forwards(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if Pipeline.objects.exists():
        return
    pipeline = Pipeline.objects.create(name=PIPELINE[0], name_en=PIPELINE[1], is_default=True)
    Stage.objects.bulk_create(
        Stage(
            pipeline=pipeline,
            code=code,
            name=name,
            name_en=name_en,
            position=position,
            probability=probability,
            outcome=outcome,
        )
        for position, (code, name, name_en, probability, outcome) in enumerate(STAGES, start=1)
    )


def backwards(apps, schema_editor):
    # Only the pipeline made above, and only while no deal uses it (deals protect their pipeline and stage).
    Pipeline = apps.get_model("sales", "Pipeline")
    for pipeline in Pipeline.objects.filter(name=PIPELINE[0], name_en=PIPELINE[1], is_default=True):
        pipeline.stages.all().delete()
        pipeline.delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_create_sales_models")]
    operations = [migrations.RunPython(forwards, backwards)]
