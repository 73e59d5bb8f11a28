"""Django admin for sales: lead."""
