"""Order, invoice, payment and customer ranking pages: thin views over billing_selectors and the services; another
team's order or invoice answers 404, like one that does not exist.

Split by page: `orders`, `invoices` (with payments and cheques) and `ranking`; billing_urls reads the views from
here.
"""

from peyvand.sales.billing_views.invoices import (
    cheque_status,
    invoice_cancel,
    invoice_create,
    invoice_detail,
    invoice_list,
    invoice_pdf,
    payment_add,
)
from peyvand.sales.billing_views.orders import (
    order_cancel,
    order_create,
    order_detail,
    order_fulfil,
    order_invoice,
    order_list,
)
from peyvand.sales.billing_views.ranking import customer_ranking, customer_ranking_recompute

__all__ = [
    "cheque_status",
    "customer_ranking",
    "customer_ranking_recompute",
    "invoice_cancel",
    "invoice_create",
    "invoice_detail",
    "invoice_list",
    "invoice_pdf",
    "order_cancel",
    "order_create",
    "order_detail",
    "order_fulfil",
    "order_invoice",
    "order_list",
    "payment_add",
]
