"""Fill the new sort key of every customer from its search key, in batches so memory stays flat."""

from django.db import migrations


def forwards(apps, schema_editor):
    from peyvand.core.text import sort_key_of_search_key

    Customer = apps.get_model("customers", "Customer")
    last = 0
    while True:
        batch = list(Customer.objects.filter(pk__gt=last).order_by("pk").only("pk", "search_key")[:5000])
        if not batch:
            break
        for customer in batch:
            customer.sort_key = sort_key_of_search_key(customer.search_key)
        Customer.objects.bulk_update(batch, ["sort_key"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_add_sort_key")]
    # Going back needs nothing: the column is dropped by reversing 0003.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
