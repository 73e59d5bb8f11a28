from django.db import migrations


def forwards(apps, schema_editor):
    from peyvand.customers.search_index import ensure_search_index

    ensure_search_index(schema_editor.connection, rebuild=True)


def backwards(apps, schema_editor):
    from peyvand.customers.search_index import drop_search_index

    drop_search_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_create_customer_database")]
    operations = [migrations.RunPython(forwards, backwards)]
