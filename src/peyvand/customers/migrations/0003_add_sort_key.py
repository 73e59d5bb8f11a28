from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_add_search_index")]
    operations = [
        migrations.AddField(
            model_name="customer",
            name="sort_key",
            field=models.CharField(default="", editable=False, max_length=255),
        ),
    ]
