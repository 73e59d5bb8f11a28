"""Django admin for sales: quote."""
