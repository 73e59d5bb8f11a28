from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_fill_sort_key")]
    operations = [
        migrations.RemoveIndex(model_name="customer", name="customer_search_key"),
        migrations.RemoveIndex(model_name="customer", name="customer_display_name"),
        migrations.RemoveIndex(model_name="customer", name="customer_team_name"),
        migrations.RemoveIndex(model_name="customer", name="customer_owner_name"),
        migrations.RemoveIndex(model_name="customer", name="customer_stage_name"),
        migrations.AddIndex(model_name="customer", index=models.Index(fields=["sort_key", "id"], name="customer_name")),
        migrations.AddIndex(
            model_name="customer", index=models.Index(fields=["team", "sort_key", "id"], name="customer_team_name")
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "sort_key", "id"], name="customer_owner_name"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["lifecycle_stage", "sort_key", "id"], name="customer_stage_name"),
        ),
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(fields=["-occurred_at", "-id"], name="interaction_recent"),
        ),
    ]
